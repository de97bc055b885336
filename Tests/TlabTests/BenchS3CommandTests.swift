// `tlab bench s3`, run as a user would: against a moto S3 server on loopback, and with the mistakes a
// user makes in the location and the environment.
import Foundation
import XCTest

final class BenchS3CommandTests: XCTestCase {
    func testPutsAndReadsATensorThroughABucket() throws {
        let endpoint = try startMoto()
        let folder = try makeScratchFolder()
        let scratch = try makeScratchFolder()
        let result = try tlab(["bench", "s3", "s3://bench/blobs", "--size-mib", "8", "--runs", "2", "--part-mib", "5",
                               "--dir", scratch.path], in: folder, environment: credentials(endpoint))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("8 MiB float32 tensor via s3://bench/blobs, zstd level 3, 2 runs"), result.stdout)
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

    /// Starts moto's S3 server on a free loopback port with a bucket `bench` (stopped with the test, or
    /// with this process) and returns its URL; skips the test without python3, moto and boto3.
    private func startMoto() throws -> String {
        // Picks the port, prints it, and becomes the server, which dies with this process.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", """
            import ctypes, os, signal, socket, sys
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)
            probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
            print(port, flush=True)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.execvp(sys.executable, [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
            """]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        do { try server.run() } catch { throw XCTSkip("python3 is not installed") }
        addTeardownBlock {
            server.terminate()
            server.waitUntilExit()
        }
        let port = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let url = "http://127.0.0.1:\(port)"

        // Creates the bucket as soon as the server answers, for at most a minute.
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        setup.arguments = ["python3", "-c", """
            import sys, time, boto3, botocore.config
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="bench",
                              aws_secret_access_key="bench", config=botocore.config.Config(retries={"max_attempts": 1}))
            deadline = time.time() + 60
            while True:
                try:
                    s3.create_bucket(Bucket="bench"); break
                except Exception:
                    if time.time() > deadline: sys.exit(1)
                    time.sleep(0.2)
            """, url]
        setup.standardOutput = FileHandle.nullDevice
        setup.standardError = FileHandle.nullDevice
        try setup.run()
        setup.waitUntilExit()
        guard Int(port) != nil, setup.terminationStatus == 0 else {
            throw XCTSkip("moto[server] with boto3 is not installed or did not start (scripts/setup installs it)")
        }
        return url
    }
}
