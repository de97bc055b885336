// Bad conditions against a real endpoint: each a one-line error naming what failed, no secret in it,
// retries only where another attempt can help, and nothing half-written left behind.
import Foundation
import TestSupport
import XCTest
@testable import Store

final class S3FailureTests: XCTestCase {
    func testAnUnreachableEndpointIsRetriedThenNamed() throws {
        let moto = try MotoBucket.start(for: self)
        let dead = URL(string: "http://127.0.0.1:\(try freePort())")!
        let client = moto.client(moto.configuration(endpoint: dead))
        let started = Date()
        XCTAssertThrowsError(try client.putObject("blobs/ab/cd.zst", data: Data("x".utf8))) { error in
            guard let error = error as? S3Error, case .transport = error.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(error.attempts, 3)
            let text = error.description
            XCTAssertTrue(text.hasPrefix("S3 PUT s3://\(moto.bucket)/blobs/ab/cd.zst at \(dead.absoluteString) failed (3 attempts"), text)
            XCTAssertTrue(text.contains("AWS_ENDPOINT_URL"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "backoff is bounded")
    }

    func testWrongCredentialsAreNamedWithoutTheSecretOrTheSignature() throws {
        let moto = try MotoBucket.start(for: self)
        let secret = "wrong-secret-\(UUID().uuidString)"
        let wrongSecret = moto.client(moto.configuration(credentials: S3Credentials(accessKeyID: moto.accessKeyID,
                                                                                    secretAccessKey: secret)))
        XCTAssertThrowsError(try wrongSecret.putObject("blobs/ab/cd.zst", data: Data("x".utf8))) { error in
            guard let error = error as? S3Error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, "SignatureDoesNotMatch")
            XCTAssertEqual(error.status, 403)
            XCTAssertEqual(error.attempts, 1, "a 403 is not retried")
            assertNoSecrets(in: "\(error)", secret: secret)
            XCTAssertTrue("\(error)".contains("check AWS_SECRET_ACCESS_KEY"), "\(error)")
        }

        let unknownKey = moto.client(moto.configuration(credentials: S3Credentials(accessKeyID: "AKIANOSUCHKEY0000000",
                                                                                   secretAccessKey: secret)))
        XCTAssertThrowsError(try unknownKey.getObject("blobs/ab/cd.zst")) { error in
            guard let error = error as? S3Error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, "InvalidAccessKeyId")
            assertNoSecrets(in: "\(error)", secret: secret)
            XCTAssertTrue("\(error)".contains("check AWS_ACCESS_KEY_ID"), "\(error)")
        }
        XCTAssertFalse("\(S3Credentials(accessKeyID: "AKIA", secretAccessKey: secret, sessionToken: "token"))".contains(secret))
    }

    func testAMissingBucketIsNamed() throws {
        let moto = try MotoBucket.start(for: self)
        let client = S3Client(bucket: "no-such-bucket", configuration: moto.configuration())
        XCTAssertThrowsError(try client.putObject("k", data: Data("x".utf8))) { error in
            guard let error = error as? S3Error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, "NoSuchBucket")
            XCTAssertTrue(error.description.hasPrefix("S3 PUT s3://no-such-bucket/k at http://127.0.0.1:"), error.description)
            XCTAssertTrue(error.description.contains("HTTP 404 NoSuchBucket"), error.description)
            XCTAssertTrue(error.description.contains("create the bucket"), error.description)
        }
    }

    func testAConnectionLostMidUploadIsRetriedThenTheUploadIsAbortedLeavingNoObject() throws {
        let moto = try MotoBucket.start(for: self)
        let proxy = try FaultyProxy(upstream: moto.port, matching: "partNumber=3", log: try scratchFile(), test: self)
        let client = moto.client(moto.configuration(endpoint: proxy.endpoint))
        let file = try scratchFile()
        try testBytes(300_000).write(to: file)

        XCTAssertThrowsError(try client.uploadFile(file, size: 300_000, as: "blobs/ab/cd.zst")) { error in
            guard let error = error as? S3Error, case .transport = error.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(error.operation, "UPLOAD PART 3")
            XCTAssertEqual(error.attempts, 3)
        }
        let requests = proxy.requests()
        XCTAssertEqual(requests.filter { $0.contains("partNumber=3") }.count, 3, "\(requests)")
        XCTAssertEqual(requests.filter { $0.hasPrefix("DELETE") && $0.contains("uploadId=") }.count, 1,
                       "the upload was aborted: \(requests)")
        let direct = moto.client()
        XCTAssertNil(try direct.headObject("blobs/ab/cd.zst"))
        XCTAssertEqual(try direct.pendingUploads(prefix: ""), [], "no parts linger")
    }

    func testADownloadCutShortResumesWhereItStopped() throws {
        let moto = try MotoBucket.start(for: self)
        let data = testBytes(200_000)
        try moto.client().putObject("blobs/ab/cd.zst", data: data)
        let proxy = try FaultyProxy(upstream: moto.port, matching: "GET /\(moto.bucket)/blobs", mode: .cutFirstResponse,
                                    log: try scratchFile(), test: self)
        let client = moto.client(moto.configuration(endpoint: proxy.endpoint))
        var pieces = Data()
        let info = try XCTUnwrap(try client.getObject("blobs/ab/cd.zst") { pieces.append($0) })
        XCTAssertEqual(pieces, data, "each byte delivered once, in order")
        XCTAssertEqual(info.size, 200_000)
        XCTAssertEqual(proxy.requests().filter { $0.hasPrefix("GET") }.count, 2)
    }

    func testAResumeAnsweredWithTheWholeBodyStartsOverInsteadOfAppendingIt() throws {
        // The proxy drops the signed Range header, so moto must not check signatures.
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let data = testBytes(200_000)
        try moto.client().putObject("blobs/ab/cd.zst", data: data)
        let proxy = try FaultyProxy(upstream: moto.port, matching: "GET /\(moto.bucket)/blobs", mode: .cutThenIgnoreRange,
                                    log: try scratchFile(), test: self)
        let client = moto.client(moto.configuration(endpoint: proxy.endpoint))
        XCTAssertEqual(try client.getObject("blobs/ab/cd.zst"), data, "the 200's body replaces the first 40,000 bytes")
        XCTAssertEqual(proxy.requests().filter { $0.hasPrefix("GET") }.count, 2)
    }

    func testAResumeAnsweredWithAShortSelfConsistentBodyIsRefusedAndTheNextAttemptStartsFromZero() throws {
        // The proxy drops the signed Range header, so moto must not check signatures.
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let data = testBytes(200_000)
        try moto.client().putObject("blobs/ab/cd.zst", data: data)
        let proxy = try FaultyProxy(upstream: moto.port, matching: "GET /\(moto.bucket)/blobs", mode: .cutThenShortBody,
                                    log: try scratchFile(), test: self)
        let client = moto.client(moto.configuration(endpoint: proxy.endpoint))
        XCTAssertEqual(try client.getObject("blobs/ab/cd.zst"), data)
        XCTAssertEqual(proxy.requests().filter { $0.hasPrefix("GET") }.count, 3, "cut, refused, whole: \(proxy.requests())")

        // A caller that cannot start over (a ranged read) gets a clear error instead of spliced bytes.
        let ranged = moto.client(moto.configuration(endpoint: proxy.endpoint,
                                                    retry: S3RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.01, maxTotal: 5)))
        XCTAssertThrowsError(try ranged.getObject("blobs/ab/cd.zst", range: 1000...1999)) { error in
            XCTAssertTrue("\(error)".contains("asked for the bytes from 1000 on, the server answered HTTP 200"), "\(error)")
        }
    }

    func testWithARetryBudgetARequestRidesOutAServerDownForSecondsAndSaysSoOnce() throws {
        let moto = try MotoBucket.start(for: self)
        let data = testBytes(100_000)
        let log = try scratchFile()
        let proxy = try FaultyProxy(upstream: moto.port, matching: "no request matches this", mode: .cutFirstResponse,
                                    log: log, test: self)
        let lines = LockedLines()
        var configuration = moto.configuration(endpoint: proxy.endpoint, retry: .budget(60))
        configuration.outageNotice = OutageNotice { lines.append($0) }
        let client = moto.client(configuration)
        try client.putObject("blobs/ab/cd.zst", data: data)

        proxy.stop()
        let fetched = LockedLines()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            fetched.append((try? client.getObject("blobs/ab/cd.zst")) == data ? "same bytes" : "failed")
            done.signal()
        }
        // The server comes back on the same port after four seconds.
        Thread.sleep(forTimeInterval: 4)
        _ = try FaultyProxy(upstream: moto.port, matching: "no request matches this", mode: .cutFirstResponse,
                            log: log, test: self, port: proxy.port)
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(fetched.all, ["same bytes"], "the GET waited for the server")
        let said = lines.all
        XCTAssertEqual(said.count, 2, "\(said)")
        XCTAssertTrue(said.first?.hasPrefix("waiting for S3 at http://127.0.0.1:\(proxy.port) (") == true, "\(said)")
        XCTAssertTrue(said.first?.hasSuffix("retrying for up to 60 s (--retry-budget)") == true, "\(said)")
        XCTAssertTrue(said.last?.hasPrefix("the server answers again after") == true, "\(said)")

        // A budget that runs out ends with one line saying so, and the error.
        proxy.stop()
        var short = moto.configuration(endpoint: URL(string: "http://127.0.0.1:\(try freePort())")!, retry: .budget(1.5))
        let spent = LockedLines()
        short.outageNotice = OutageNotice { spent.append($0) }
        let started = Date()
        XCTAssertThrowsError(try moto.client(short).getObject("blobs/ab/cd.zst"))
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(spent.all.last, "giving up: the server did not answer within the retry budget of 2 s (--retry-budget)")
    }

    func testSettingsComeFromTheStandardEnvironment() throws {
        let base = ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t-value"]
        XCTAssertThrowsError(try S3Configuration.fromEnvironment([:])) { error in
            XCTAssertEqual(error as? S3ConfigurationError, .missing("AWS_ACCESS_KEY_ID"))
            XCTAssertTrue("\(error)".contains("AWS_SECRET_ACCESS_KEY"))
        }
        XCTAssertThrowsError(try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "A"])) { error in
            XCTAssertEqual(error as? S3ConfigurationError, .missing("AWS_SECRET_ACCESS_KEY"))
        }

        let aws = try S3Configuration.fromEnvironment(base.merging(["AWS_DEFAULT_REGION": "eu-west-3"]) { $1 })
        XCTAssertEqual(aws.region, "eu-west-3")
        XCTAssertEqual(aws.endpoint.absoluteString, "https://s3.eu-west-3.amazonaws.com")
        XCTAssertEqual(aws.addressing, .virtualHosted)
        XCTAssertNil(aws.credentials.sessionToken)

        let minio = try S3Configuration.fromEnvironment(base.merging([
            "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-3", "AWS_SESSION_TOKEN": "tok",
            "AWS_ENDPOINT_URL": "http://ignored:1", "AWS_ENDPOINT_URL_S3": "http://minio.lan:9000/",
            "AWS_MAX_ATTEMPTS": "7",
        ]) { $1 })
        XCTAssertEqual(minio.region, "us-west-2", "AWS_REGION wins over AWS_DEFAULT_REGION")
        XCTAssertEqual(minio.endpoint.absoluteString, "http://minio.lan:9000", "the S3-specific endpoint wins")
        XCTAssertEqual(minio.addressing, .path)
        XCTAssertEqual(minio.credentials.sessionToken, "tok")
        XCTAssertEqual(minio.retry.maxAttempts, 7)
        XCTAssertFalse("\(minio.credentials)".contains("s3cr3t"))

        XCTAssertThrowsError(try S3Configuration.fromEnvironment(base.merging(["AWS_ENDPOINT_URL": "minio:9000"]) { $1 })) {
            XCTAssertTrue("\($0)".hasPrefix("AWS_ENDPOINT_URL='minio:9000' is not valid"), "\($0)")
        }
        XCTAssertThrowsError(try S3Configuration.fromEnvironment(base.merging(["AWS_MAX_ATTEMPTS": "0"]) { $1 }))

        let location = try S3Location(url: "s3://team-cache/tlab/store/")
        XCTAssertEqual(location.bucket, "team-cache")
        XCTAssertEqual(location.prefix, "tlab/store")
        XCTAssertEqual(location.description, "s3://team-cache/tlab/store")
        XCTAssertEqual(try S3Location(url: "s3://team-cache").prefix, "")
        XCTAssertThrowsError(try S3Location(url: "https://team-cache/x")) { XCTAssertTrue("\($0)".contains("s3://bucket")) }
        XCTAssertThrowsError(try S3Location(url: "s3://Team_Cache/x")) { XCTAssertTrue("\($0)".contains("bucket name")) }
    }

    func testAPrefixWithDotOrEmptySegmentsIsRefusedBeforeAnythingIsSigned() throws {
        for (url, segment) in [("s3://bucket/../victim/p", "a '..' segment"), ("s3://bucket/team/./p", "a '.' segment"),
                               ("s3://bucket/team//p", "an empty segment (//)"), ("s3://bucket/team/..", "a '..' segment"),
                               ("s3://bucket//team", "an empty segment (//)")] {
            XCTAssertThrowsError(try S3Location(url: url), url) { error in
                XCTAssertTrue("\(error)".hasPrefix("'\(url)' is not an S3 location: the prefix"), "\(error)")
                XCTAssertTrue("\(error)".contains(segment), "\(error)")
            }
        }
        XCTAssertThrowsError(try S3Location(bucket: "bucket", prefix: "a/../b"))
        XCTAssertEqual(try S3Location(url: "s3://bucket/team/..x/.y/").prefix, "team/..x/.y", "dots inside a name are plain")
        XCTAssertEqual(try S3Location(url: "s3://bucket/").prefix, "")
    }

    func testCredentialsInAnS3LocationAreRefusedWithoutBeingPrinted() throws {
        for url in ["s3://AKIAEXAMPLE:wJalr/XUtnFEMI@bucket/team", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket",
                    "https://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/team", "s3://bucket/team?token=wJalrXUtnFEMI"] {
            XCTAssertThrowsError(try S3Location(url: url), url) { error in
                XCTAssertFalse("\(error)".contains("wJalr"), "\(error)")
                XCTAssertTrue("\(error)".contains("***"), "\(error)")
            }
        }
        XCTAssertThrowsError(try S3Location(url: "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket")) { error in
            XCTAssertTrue("\(error)".contains("credentials do not belong in an S3 location"), "\(error)")
            XCTAssertTrue("\(error)".contains("AWS_SECRET_ACCESS_KEY"), "\(error)")
        }
    }

    /// The secret and anything signature-like (a 64-digit hex run, `Signature=`) stay out of `text`.
    private func assertNoSecrets(in text: String, secret: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(text.contains(secret), text, file: file, line: line)
        XCTAssertFalse(text.contains("Signature="), text, file: file, line: line)
        XCTAssertNil(text.range(of: "[0-9a-f]{64}", options: .regularExpression), text, file: file, line: line)
        XCTAssertFalse(text.contains("\n"), "one line", file: file, line: line)
    }

    private func scratchFile() throws -> URL {
        try makeScratchFolder().appendingPathComponent(UUID().uuidString)
    }
}

/// Lines collected from another thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
