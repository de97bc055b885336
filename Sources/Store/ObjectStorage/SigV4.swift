// AWS Signature Version 4: the canonical request, the string to sign and the signature an S3 request
// carries in its Authorization header, with HMAC-SHA256 and SHA-256 from libcrypto.
import CCrypto
import Foundation

/// Signs requests for one service in one region with one set of credentials (the header form of
/// Signature Version 4, as AWS S3, MinIO and Ceph RGW check it).
struct SigV4Signer: Sendable {
    let credentials: S3Credentials
    let region: String
    let service: String

    /// What the signature covers.
    struct Request {
        var method: String
        /// The path as it goes on the wire, already URI-encoded ("/bucket/ab/cd.zst").
        var path: String
        /// Query parameters as plain (not encoded) names and values.
        var query: [(name: String, value: String)] = []
        /// Headers to sign, `host` among them; names in any case.
        var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        var payloadHash: String
    }

    /// A signed request: the headers to add to it, and the intermediate strings for tests.
    struct Signed {
        let canonicalRequest: String
        let stringToSign: String
        let signature: String
        /// `x-amz-date`, `x-amz-security-token` (with a session token) and `authorization`.
        let headers: [(name: String, value: String)]
    }

    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    func sign(_ request: Request, at date: Date) -> Signed {
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))
        var added = [(name: "x-amz-date", value: timestamp)]
        if let token = credentials.sessionToken { added.append((name: "x-amz-security-token", value: token)) }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers + added)
        let canonicalRequest = [
            request.method,
            request.path,
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            request.payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, Digest.sha256Hex(Data(canonicalRequest.utf8)),
        ].joined(separator: "\n")

        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] { key = hmacSHA256(key: key, Array(part.utf8)) }
        let signature = hexString(hmacSHA256(key: key, Array(stringToSign.utf8)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signed(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                      headers: added + [(name: "authorization", value: authorization)])
    }

    /// Lower-case names sorted, values trimmed with inner runs of spaces collapsed, repeated names
    /// joined with commas; returns the header block (each line ending in a newline) and the name list.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed.trimmingCharacters(in: .whitespaces))
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    /// Names and values URI-encoded, sorted by name then value, `name=value` joined with `&`.
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.name), uriEncode($0.value)) }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding as SigV4 defines it: everything but `A-Z a-z 0-9 - _ . ~` (and `/`
    /// when `keepSlash`) becomes `%XX` of its UTF-8 bytes, upper-case hex.
    static func uriEncode(_ text: String, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: return true  // A-Z a-z 0-9
        case 0x2D, 0x5F, 0x2E, 0x7E: return true  // - _ . ~
        default: return false
        }
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}

/// HMAC-SHA256 of `message` under `key`.
func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    // libcrypto wants non-null pointers even for empty input; a one-byte array stands in.
    let keyBytes = key.isEmpty ? [0] : key, messageBytes = message.isEmpty ? [0] : message
    let result = HMAC(EVP_sha256(), keyBytes, Int32(key.count), messageBytes, message.count, &out, &length)
    precondition(result != nil && length == 32, "libcrypto HMAC-SHA256 failed")
    return Array(out.prefix(32))
}
