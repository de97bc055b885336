// `tlab bench s3`, run as a user would: against a moto S3 server on loopback, and with the mistakes a
// user makes in the location and the environment.
import Foundation
import TestSupport
import XCTest

final class BenchS3CommandTests: XCTestCase {
    func testPutsAndReadsATensorThroughABucket() throws {
        let moto = try startMoto()
        let folder = try makeScratchFolder()
        let scratch = try makeScratchFolder()
        let result = try tlab(["bench", "s3", "s3://bench/blobs", "--size-mib", "8", "--runs", "2", "--part-mib", "5",
                               "--dir", scratch.path], in: folder, environment: moto.environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("8 MiB float32 tensor (weights) via s3://bench/blobs, zstd level 3, 2 runs"), result.stdout)
        XCTAssertNotNil(result.stdout.range(of: #"put: +median \d+ MB/s"#, options: .regularExpression), result.stdout)
        XCTAssertNotNil(result.stdout.range(of: #"get\+verify: +median \d+ MB/s"#, options: .regularExpression), result.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [], "the scratch cache is removed")
    }

    func testNamesAMissingCredentialAndABadLocation() throws {
        let folder = try makeScratchFolder()
        let noKey = try tlab(["bench", "s3", "s3://bench/blobs", "--size-mib", "1"], in: folder,
                             environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "x"])
        XCTAssertNotEqual(noKey.status, 0)
        XCTAssertTrue(noKey.stderr.contains("AWS_ACCESS_KEY_ID is not set"), noKey.stderr)

        let badURL = try tlab(["bench", "s3", "https://bench/blobs"], in: folder, environment: credentials(nil))
        XCTAssertNotEqual(badURL.status, 0)
        XCTAssertTrue(badURL.stderr.contains("'https://bench/blobs' is not an S3 location"), badURL.stderr)
    }

    private func credentials(_ endpoint: String?) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": endpoint ?? "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "2"]
    }

    /// The test process's moto server with a bucket `bench`; skips the test without moto.
    private func startMoto() throws -> MotoServer {
        let server: MotoServer
        do {
            server = try MotoServer.shared()
        } catch MotoServer.Failure.unavailable(let reason) {
            throw missingService(reason)
        }
        try? server.createBucket("bench")
        return server
    }
}
