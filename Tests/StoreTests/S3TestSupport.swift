// A real S3 endpoint for the tests: moto's server on a free loopback port, with authentication on so
// botocore checks every request's SigV4 signature, a fresh bucket per test, and a fault-injecting
// proxy to put in front of it.
import Foundation
import XCTest
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

/// moto's S3 server (`python3 -m moto.server`), started once per test process for each setting of
/// `checkSignatures` and stopped when the tests end; each test gets a fresh bucket on it (see `start`).
final class MotoServer: @unchecked Sendable {
    let port: Int
    let accessKeyID: String
    let secretAccessKey: String
    private let process: Process

    /// Starts moto; with `checkSignatures`, with IAM authentication (`INITIAL_NO_AUTH_ACTION_COUNT`):
    /// the first four requests, made by `setupScript`, create a user with full access, its access key
    /// and a bucket; every later request must carry a valid signature of that key, which moto
    /// recomputes with botocore. Parts may be as small as 64 KiB.
    ///
    /// moto 5 recomputes the signature from the percent-decoded URL, so it rejects every correctly
    /// signed request whose key or query holds a character that needs encoding (boto3's own requests
    /// included: a listing with prefix "a/" fails): tests of such requests run without the check.
    private init(checkSignatures: Bool) throws {
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", diesWithParent, "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        var environment = ProcessInfo.processInfo.environment
        if checkSignatures { environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "4" }
        environment["S3_UPLOAD_PART_MIN_SIZE"] = String(64 << 10)
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.port = port
        do {
            try waitForListener(port: port, timeout: 60)
            let output = try runPython(Self.setupScript, arguments: ["http://127.0.0.1:\(port)", "tlab-setup"])
            let keys = try JSONSerialization.jsonObject(with: output) as! [String: String]
            accessKeyID = keys["id"]!
            secretAccessKey = keys["secret"]!
        } catch {
            Self.stop(process)
            throw error
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var servers: [Bool: MotoServer] = [:]
    nonisolated(unsafe) private static var bucketCount = 0

    /// A fresh bucket on the shared server for the running test; skips the test when python3 or moto
    /// is not installed.
    static func start(for test: XCTestCase, checkSignatures: Bool = true) throws -> MotoBucket {
        let (server, number): (MotoServer, Int) = try lock.withLock {
            if servers[checkSignatures] == nil {
                guard (try? runPython("import moto.server, boto3")) != nil else {
                    throw XCTSkip("python3 with moto[server] is not installed (scripts/setup installs it)")
                }
                if servers.isEmpty { XCTestObservationCenter.shared.addTestObserver(StopServersAtEnd()) }
                servers[checkSignatures] = try MotoServer(checkSignatures: checkSignatures)
            }
            bucketCount += 1
            return (servers[checkSignatures]!, bucketCount)
        }
        let bucket = MotoBucket(server: server, bucket: "tlab-test-\(number)")
        try bucket.client().createBucket()
        return bucket
    }

    fileprivate static func stopAll() {
        lock.withLock {
            servers.values.forEach { stop($0.process) }
            servers = [:]
        }
    }

    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static let setupScript = """
        import boto3, json, sys
        url, bucket = sys.argv[1], sys.argv[2]
        kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam = boto3.client("iam", **kw)
        iam.create_user(UserName="tlab")
        key = iam.create_access_key(UserName="tlab")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="tlab", PolicyName="all", PolicyDocument=json.dumps(policy))
        boto3.client("s3", **kw).create_bucket(Bucket=bucket)
        print(json.dumps({"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
        """
}

/// Stops the shared servers once every test has run.
private final class StopServersAtEnd: NSObject, XCTestObservation {
    func testBundleDidFinish(_ testBundle: Bundle) { MotoServer.stopAll() }
}

/// Runs `python3 …` (the arguments after `-c` this) with SIGTERM as its parent-death signal, so a
/// server started by a test process that crashes does not outlive it.
private let diesWithParent = """
    import ctypes, os, signal, sys
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    os.execvp(sys.executable, [sys.executable] + sys.argv[1:])
    """

/// One test's bucket on a shared moto server.
struct MotoBucket {
    let server: MotoServer
    let bucket: String

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
    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": endpoint.absoluteString, "AWS_MAX_ATTEMPTS": "2"]
    }

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
        port = try freeLoopbackPort()
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

/// A loopback port nothing listens on at the moment of asking (python3 binds and closes it).
func freeLoopbackPort() throws -> Int {
    let output = try runPython("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    guard let port = Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw TestServerError(message: "python3 found no free loopback port")
    }
    return port
}

/// Waits until something accepts connections on the loopback `port`, for at most `timeout` seconds.
func waitForListener(port: Int, timeout: TimeInterval) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        close(fd)
        if connected { return }
        usleep(100_000)
    }
    throw TestServerError(message: "nothing listened on 127.0.0.1:\(port) within \(timeout) s")
}

struct TestServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs `python3 -c script arguments…` and returns its standard output; throws if it exits non-zero.
@discardableResult
func runPython(_ script: String, arguments: [String] = []) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let messages = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestServerError(message: "python3 exited with \(process.terminationStatus): "
                              + String(decoding: messages, as: UTF8.self))
    }
    return data
}
