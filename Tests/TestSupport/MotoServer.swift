// A real S3 endpoint for tests: moto's server (`python3 -m moto.server`, PyPI moto[server]) on a free
// loopback port, started once per test process for each setting of `checkSignatures`; each test makes
// its own buckets on it. The server dies with the test process (parent-death signal).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class MotoServer: @unchecked Sendable {
    /// Why moto cannot be used; tests skip with `unavailable`'s reason.
    public enum Failure: Error, CustomStringConvertible {
        case unavailable(String)
        case setup(String)

        public var description: String {
            switch self {
            case .unavailable(let reason), .setup(let reason): return reason
            }
        }
    }

    public let port: Int
    public let accessKeyID: String
    public let secretAccessKey: String
    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }
    private let process: Process

    /// The standard AWS variables that point a `tlab` process at this server.
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": endpoint.absoluteString, "AWS_MAX_ATTEMPTS": "2"]
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var servers: [Bool: MotoServer] = [:]

    /// The process's server: with `checkSignatures`, moto runs with IAM authentication
    /// (`INITIAL_NO_AUTH_ACTION_COUNT`): the first requests, made by the setup script, create a user
    /// with full access and its access key; every later request must carry a valid SigV4 signature of
    /// that key, which moto recomputes with botocore. Multipart parts may be as small as 64 KiB.
    ///
    /// moto 5 recomputes the signature from the percent-decoded URL, so it rejects every correctly
    /// signed request whose key or query holds a character that needs encoding (boto3's own requests
    /// included): tests of such requests run without the check.
    public static func shared(checkSignatures: Bool = true) throws -> MotoServer {
        try lock.withLock {
            if let server = servers[checkSignatures] { return server }
            guard (try? runPython("import moto.server, boto3")) != nil else {
                throw Failure.unavailable("python3 with moto[server] is not installed (scripts/setup installs it)")
            }
            let server = try MotoServer(checkSignatures: checkSignatures)
            servers[checkSignatures] = server
            return server
        }
    }

    private init(checkSignatures: Bool) throws {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.diesWithParent, "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        var environment = ProcessInfo.processInfo.environment
        if checkSignatures { environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "3" }
        environment["S3_UPLOAD_PART_MIN_SIZE"] = String(64 << 10)
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.port = port
        do {
            try waitForListener(port: port, timeout: 60)
            let output = try runPython(Self.setupScript, arguments: ["http://127.0.0.1:\(port)"])
            let keys = try JSONSerialization.jsonObject(with: output) as! [String: String]
            accessKeyID = keys["id"]!
            secretAccessKey = keys["secret"]!
        } catch {
            process.terminate()
            process.waitUntilExit()
            throw Failure.setup("moto did not start on port \(port): \(error)")
        }
    }

    /// Creates bucket `name` with this server's key (boto3, signed as every request must be).
    public func createBucket(_ name: String) throws {
        try runPython("""
            import boto3, sys
            boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2],
                         aws_secret_access_key=sys.argv[3]).create_bucket(Bucket=sys.argv[4])
            """, arguments: [endpoint.absoluteString, accessKeyID, secretAccessKey, name])
    }

    /// Runs `python3 …` (the arguments after `-c` this) with SIGTERM as its parent-death signal, so a
    /// server started by a test process that crashes does not outlive it.
    private static let diesWithParent = """
        import ctypes, os, signal, sys
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
        os.execvp(sys.executable, [sys.executable] + sys.argv[1:])
        """

    private static let setupScript = """
        import boto3, json, sys
        kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam = boto3.client("iam", **kw)
        iam.create_user(UserName="tlab")
        key = iam.create_access_key(UserName="tlab")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="tlab", PolicyName="all", PolicyDocument=json.dumps(policy))
        print(json.dumps({"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
        """
}

/// Waits until something accepts connections on the loopback `port`, for at most `timeout` seconds.
public func waitForListener(port: Int, timeout: TimeInterval) throws {
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
    throw MotoServer.Failure.setup("nothing listened on 127.0.0.1:\(port) within \(timeout) s")
}

/// Runs `python3 -c script arguments…` and returns its standard output; throws if it exits non-zero.
@discardableResult
public func runPython(_ script: String, arguments: [String] = []) throws -> Data {
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
        throw MotoServer.Failure.setup("python3 exited with \(process.terminationStatus): " + String(decoding: messages, as: UTF8.self))
    }
    return data
}
