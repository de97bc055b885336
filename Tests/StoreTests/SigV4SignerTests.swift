// The SigV4 signer against AWS's published vectors: canonical request, string to sign and signature.
//
// Sources:
// - The Signature Version 4 test suite (AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service"),
//   published with the AWS General Reference ("Signature Version 4 test suite") and kept by AWS in
//   github.com/awslabs/aws-c-auth, tests/aws-signing-test-suite/v4/<case>/.
// - The S3 API Reference, "Signature Calculations for the Authorization Header: Transferring Payload
//   in a Single Chunk", section "Examples: Signature Calculations" (AKIAIOSFODNN7EXAMPLE,
//   20130524T000000Z, us-east-1, s3): https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
import Foundation
import XCTest
@testable import Store

final class SigV4SignerTests: XCTestCase {
    private let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private let suite = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    /// 2015-08-30T12:36:00Z
    private let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)

    private let s3 = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    /// 2013-05-24T00:00:00Z
    private let s3Date = Date(timeIntervalSince1970: 1_369_353_600)
    private let s3Host = (name: "host", value: "examplebucket.s3.amazonaws.com")

    // MARK: The Signature Version 4 test suite

    func testGetVanilla() {
        let signed = suite.sign(.init(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")],
                                      payloadHash: empty), at: suiteDate)
        XCTAssertEqual(signed.canonicalRequest, """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            \(empty)
            """)
        XCTAssertEqual(signed.stringToSign, """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        XCTAssertEqual(header("authorization", signed),
                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                       + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        XCTAssertEqual(header("x-amz-date", signed), "20150830T123600Z")
    }

    func testGetVanillaQueryOrderKeyCase() {
        let signed = suite.sign(.init(method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
                                      headers: [("Host", "example.amazonaws.com")], payloadHash: empty), at: suiteDate)
        XCTAssertEqual(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2],
                       "Param1=value1&Param2=value2")
        XCTAssertTrue(signed.stringToSign.hasSuffix("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"))
        XCTAssertEqual(signed.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    func testPostXWWWFormURLEncodedSignsTheBodyAndItsContentType() {
        let body = Digest.sha256Hex(Data("Param1=value1".utf8))
        XCTAssertEqual(body, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
        let signed = suite.sign(.init(method: "POST", path: "/",
                                      headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                ("Host", "example.amazonaws.com")],
                                      payloadHash: body), at: suiteDate)
        XCTAssertEqual(signed.canonicalRequest, """
            POST
            /

            content-type:application/x-www-form-urlencoded
            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            content-type;host;x-amz-date
            \(body)
            """)
        XCTAssertTrue(signed.stringToSign.hasSuffix("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"))
        XCTAssertEqual(signed.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    func testHeaderValuesAreTrimmedAndInnerSpacesCollapsed() {
        let signed = suite.sign(.init(method: "GET", path: "/",
                                      headers: [("Host", "example.amazonaws.com"), ("My-Header1", " value1"),
                                                ("My-Header2", "\"a   b   c\"")],
                                      payloadHash: empty), at: suiteDate)
        XCTAssertTrue(signed.canonicalRequest.contains("my-header1:value1\nmy-header2:\"a b c\"\n"), signed.canonicalRequest)
        XCTAssertEqual(signed.signature, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")
    }

    func testASessionTokenIsSentAndSigned() {
        // post-sts-header-before: the token as x-amz-security-token, among the signed headers.
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTfl"
            + "fKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8"
            + "Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSI"
            + "lTJabIQwj2ICCR/oLxBA=="
        let withToken = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE",
                                                               secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                               sessionToken: token),
                                    region: "us-east-1", service: "service")
        let signed = withToken.sign(.init(method: "POST", path: "/", headers: [("Host", "example.amazonaws.com")],
                                          payloadHash: empty), at: suiteDate)
        XCTAssertTrue(signed.stringToSign.hasSuffix("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"))
        XCTAssertEqual(signed.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")
        XCTAssertEqual(header("x-amz-security-token", signed), token)
        XCTAssertTrue(header("authorization", signed)!.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
    }

    // MARK: The S3 documentation's examples

    func testS3GetObjectWithRange() {
        let signed = s3.sign(.init(method: "GET", path: "/test.txt",
                                   headers: [s3Host, ("Range", "bytes=0-9"), ("x-amz-content-sha256", empty)],
                                   payloadHash: empty), at: s3Date)
        XCTAssertEqual(signed.canonicalRequest, """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:\(empty)
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            \(empty)
            """)
        XCTAssertEqual(signed.stringToSign, """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        XCTAssertEqual(header("authorization", signed),
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func testS3PutObjectSignsThePayloadHashAndEncodesTheKey() {
        let payload = Digest.sha256Hex(Data("Welcome to Amazon S3.".utf8))
        XCTAssertEqual(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let path = "/" + SigV4Signer.uriEncode("test$file.text", keepSlash: true)
        let signed = s3.sign(.init(method: "PUT", path: path,
                                   headers: [s3Host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                                             ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", payload)],
                                   payloadHash: payload), at: s3Date)
        XCTAssertEqual(signed.canonicalRequest, """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:\(payload)
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            \(payload)
            """)
        XCTAssertTrue(signed.stringToSign.hasSuffix("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        XCTAssertEqual(signed.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    func testS3GetBucketLifecycleSignsAnEmptyQueryValue() {
        let signed = s3.sign(.init(method: "GET", path: "/", query: [("lifecycle", "")],
                                   headers: [s3Host, ("x-amz-content-sha256", empty)], payloadHash: empty), at: s3Date)
        XCTAssertEqual(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2], "lifecycle=")
        XCTAssertEqual(signed.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    func testS3ListObjectsSortsTheQuery() {
        let signed = s3.sign(.init(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                   headers: [s3Host, ("x-amz-content-sha256", empty)], payloadHash: empty), at: s3Date)
        XCTAssertEqual(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2],
                       "max-keys=2&prefix=J")
        XCTAssertEqual(signed.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    func testAnUnsignedPayloadIsNamedAsSuch() {
        let signed = s3.sign(.init(method: "PUT", path: "/big.zst",
                                   headers: [s3Host, ("x-amz-content-sha256", SigV4Signer.unsignedPayload)],
                                   payloadHash: SigV4Signer.unsignedPayload), at: s3Date)
        XCTAssertTrue(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        XCTAssertTrue(signed.canonicalRequest.contains("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"))
    }

    // MARK: Encoding

    func testURIEncodingKeepsOnlyUnreservedCharacters() {
        XCTAssertEqual(SigV4Signer.uriEncode("A-z_0.9~"), "A-z_0.9~")
        XCTAssertEqual(SigV4Signer.uriEncode("a b+c/d=e&f%"), "a%20b%2Bc%2Fd%3De%26f%25")
        XCTAssertEqual(SigV4Signer.uriEncode("runs/ab/cd.zst", keepSlash: true), "runs/ab/cd.zst")
        XCTAssertEqual(SigV4Signer.uriEncode("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87")
        // A continuation token is opaque base64: '+', '/' and '=' must all be encoded in the query.
        XCTAssertEqual(SigV4Signer.canonicalQuery([("continuation-token", "1a+b/c=="), ("list-type", "2")]),
                       "continuation-token=1a%2Bb%2Fc%3D%3D&list-type=2")
    }

    func testHMACSHA256MatchesRFC4231() {
        // RFC 4231, test case 2.
        let mac = hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(hexString(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    private func header(_ name: String, _ signed: SigV4Signer.Signed) -> String? {
        signed.headers.first { $0.name == name }?.value
    }
}
