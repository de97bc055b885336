// A fresh bucket per test on the shared moto server (TestSupport's `MotoServer`, with authentication
// on so botocore checks every request's SigV4 signature), and a fault-injecting proxy to put in front of it.
import Foundation
import TestSupport
import XCTest
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

/// One test's bucket on a shared moto server.
struct MotoBucket {
    let server: MotoServer
    let bucket: String

    private static let lock = NSLock()
    nonisolated(unsafe) private static var bucketCount = 0

    /// A fresh bucket for the running test; skips the test when python3 or moto is not installed.
    static func start(for test: XCTestCase, checkSignatures: Bool = true) throws -> MotoBucket {
        let server: MotoServer
        do {
            server = try MotoServer.shared(checkSignatures: checkSignatures)
        } catch MotoServer.Failure.unavailable(let reason) {
            throw XCTSkip(reason)
        }
        let number = lock.withLock { bucketCount += 1; return bucketCount }
        let bucket = MotoBucket(server: server, bucket: "tlab-test-\(number)")
        try bucket.client().createBucket()
        return bucket
    }

    var port: Int { server.port }
    var accessKeyID: String { server.accessKeyID }
    var secretAccessKey: String { server.secretAccessKey }
    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    var credentials: S3Credentials { S3Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey) }

    /// A configuration for this server: small parts, and quick retries so failure tests stay short.
    func configuration(endpoint: URL? = nil, credentials: S3Credentials? = nil, partSize: Int = 64 << 10,
                       retry: S3RetryPolicy = S3RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2, maxTotal: 10),
                       signPayload: Bool = true) -> S3Configuration {
        S3Configuration(endpoint: endpoint ?? self.endpoint, region: "us-east-1", credentials: credentials ?? self.credentials,
                        addressing: .path, retry: retry, partSize: partSize, idleTimeout: 20, signPayload: signPayload)
    }

    func client(_ configuration: S3Configuration? = nil) -> S3Client {
        S3Client(bucket: bucket, configuration: configuration ?? self.configuration())
    }

    func remote(prefix: String = "blobs", configuration: S3Configuration? = nil) throws -> S3BlobRemote {
        S3BlobRemote(location: try S3Location(bucket: bucket, prefix: prefix), configuration: configuration ?? self.configuration())
    }

    /// The standard variables that point at this server.
    var environment: [String: String] { server.environment }

}

/// A proxy in front of an upstream port that forwards requests, except those whose request line
/// contains `matching`: in `.drop` mode it drops their connection after taking the start of the body
/// (a server dying mid-upload); in `.cutFirstResponse` mode it forwards the first such request but
/// relays only the first 40,000 bytes of its answer (a download cut short), and later ones whole.
/// Each request line it sees is appended to `log`.
final class FaultyProxy {
    enum Mode: String {
        case drop
        case cutFirstResponse = "cut"
    }

    let port: Int
    let log: URL
    private let process: Process

    init(upstream: Int, matching: String, mode: Mode = .drop, log: URL, test: XCTestCase) throws {
        port = try freePort()
        self.log = log
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, String(port), String(upstream), matching, mode.rawValue, log.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let process = self.process
        test.addTeardownBlock {
            process.terminate()
            process.waitUntilExit()
        }
        try waitForListener(port: port, timeout: 30)
    }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The request lines seen so far.
    func requests() -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private static let script = """
        import ctypes, signal, socket, sys, threading
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
        port, upstream, matching, mode, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4], sys.argv[5]
        lock = threading.Lock()
        cuts = []
        def head(f):
            lines = []
            while True:
                line = f.readline()
                if not line:
                    return None
                lines.append(line)
                if line in (b"\\r\\n", b"\\n"):
                    return lines
        def handle(client):
            with client:
                reader = client.makefile("rb")
                lines = head(reader)
                if lines is None:
                    return
                with lock, open(log, "ab") as out:
                    out.write(lines[0].strip() + b"\\n")
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                matched = matching in lines[0]
                if matched and mode == "drop":
                    reader.read(min(length, 4096))
                    client.shutdown(socket.SHUT_RDWR)
                    return
                limit = None
                with lock:
                    if matched and mode == "cut" and not cuts:
                        cuts.append(1)
                        limit = 40000
                body = reader.read(length) if length else b""
                kept = [l for l in lines[1:-1] if not l.lower().startswith(b"connection:")]
                request = lines[0] + b"".join(kept) + b"Connection: close\\r\\n\\r\\n" + body
                with socket.create_connection(("127.0.0.1", upstream)) as server:
                    server.sendall(request)
                    sent = 0
                    while limit is None or sent < limit:
                        data = server.recv(1 << 16)
                        if not data:
                            break
                        if limit is not None:
                            data = data[:limit - sent]
                        client.sendall(data)
                        sent += len(data)
                    if limit is not None:
                        client.shutdown(socket.SHUT_RDWR)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=handle, args=(connection,), daemon=True).start()
        """
}
