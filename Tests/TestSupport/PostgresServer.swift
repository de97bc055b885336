// A real PostgreSQL server for tests: Debian's binaries, `initdb` and `pg_ctl` in a temporary
// folder, listening on a free loopback port (and on any extra address asked for), run as the
// `postgres` user when the tests run as root, since the server refuses root. Password
// authentication over TCP, so tests can give wrong credentials; `trust` on its own Unix socket.
import Foundation

public final class PostgresServer: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        /// No PostgreSQL server binaries on this machine: the test is skipped with this reason.
        case unavailable(String)
        case command(String, status: Int32, output: String)

        public var description: String {
            switch self {
            case .unavailable(let reason): return reason
            case let .command(command, status, output): return "\(command) exited \(status): \(output)"
            }
        }
    }

    public let user = "tlab"
    public let database = "tlab"
    public let port: Int
    /// The password of `user`, given to clients through PGPASSWORD (never in a connection string).
    /// One per test process, so every server of the process takes the PGPASSWORD set once for it.
    public let password = PostgresServer.processPassword
    public static let processPassword = "pw-" + UUID().uuidString.prefix(13).lowercased()
    public let folder: URL
    let bin: URL
    var data: URL { folder.appendingPathComponent("data") }
    var socketDirectory: String { folder.path }

    /// Starts a fresh cluster with database `tlab`, owned by user `tlab`.
    /// - Parameters:
    ///   - listen: addresses to listen on besides 127.0.0.1 (e.g. a veth address of a test network).
    ///   - durable: fsync as in production; off by default, for speed. Commits are synchronous
    ///     either way, so a server killed with `kill()` loses nothing it acknowledged.
    public init(listen extra: [String] = [], durable: Bool = false) throws {
        guard let bin = Self.binaries() else {
            throw Failure.unavailable("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                + "(apt-get install postgresql, or run scripts/setup)")
        }
        self.bin = bin
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tlab-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try freePort()
        let passwordFile = folder.appendingPathComponent("pw")
        try password.write(to: passwordFile, atomically: true, encoding: .utf8)
        try Self.giveToServerUser(folder.path)
        try runAsServerUser(bin.appendingPathComponent("initdb").path,
                            ["-D", data.path, "-U", user, "--pwfile", passwordFile.path, "-E", "UTF8", "--locale", "C",
                             "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync"])
        try FileManager.default.removeItem(at: passwordFile)
        var hba = ""
        for address in extra { hba += "host all all \(address)/24 scram-sha-256\n" }
        let hbaFile = data.appendingPathComponent("pg_hba.conf")
        let handle = try FileHandle(forWritingTo: hbaFile)
        handle.seekToEndOfFile()
        handle.write(Data(hba.utf8))
        try handle.close()
        var options = "-p \(port) -k \(socketDirectory) -c listen_addresses='\((["127.0.0.1"] + extra).joined(separator: ","))'"
        if !durable { options += " -c fsync=off -c full_page_writes=off" }
        try start(options: options)
        try psql("CREATE DATABASE \(database) OWNER \(user)", database: "postgres")
    }

    deinit { stop() }

    /// A libpq URI for `database` as user `user` (or another name), with no password in it.
    public func connectionString(database name: String? = nil, host: String = "127.0.0.1", user: String? = nil) -> String {
        "postgresql://\(user ?? self.user)@\(host):\(port)/\(name ?? database)"
    }

    /// What a client process needs in its environment to authenticate.
    public var environment: [String: String] { ["PGPASSWORD": password] }

    /// Runs one SQL statement as the superuser over the server's own socket.
    @discardableResult
    public func psql(_ sql: String, database name: String? = nil) throws -> String {
        try runAsServerUser(bin.appendingPathComponent("psql").path,
                            ["-h", socketDirectory, "-p", "\(port)", "-U", user, "-d", name ?? database,
                             "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
    }

    private var options = ""

    private func start(options: String) throws {
        self.options = options
        try runAsServerUser(bin.appendingPathComponent("pg_ctl").path,
                            ["-D", data.path, "-l", folder.appendingPathComponent("log").path, "-w", "-t", "60",
                             "-o", options, "start"])
    }

    /// Kills the server at once (as a crash or a pulled cable would look to clients).
    public func kill() throws {
        try runAsServerUser(bin.appendingPathComponent("pg_ctl").path, ["-D", data.path, "-m", "immediate", "-w", "stop"])
    }

    /// Starts the server again after `kill`, on the same port.
    public func restart() throws {
        try start(options: options)
    }

    private var stopped = false

    /// Stops the server and removes its folder; later calls do nothing.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? runAsServerUser(bin.appendingPathComponent("pg_ctl").path, ["-D", data.path, "-m", "fast", "-w", "stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    /// The newest installed server's bin folder.
    static func binaries() -> URL? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        return versions.map { URL(fileURLWithPath: "\(root)/\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
    }

    static var isRoot: Bool { getuid() == 0 }

    private static func giveToServerUser(_ path: String) throws {
        guard isRoot else { return }
        try runProcess("/bin/chown", ["-R", "postgres:postgres", path])
    }

    @discardableResult
    private func runAsServerUser(_ executable: String, _ arguments: [String]) throws -> String {
        Self.isRoot ? try runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
            : try runProcess(executable, arguments)
    }
}

/// Runs a program to the end and returns its standard output and error; a non-zero exit is an error
/// with that output. Spawned and reaped directly (posix_spawn, waitpid) rather than through
/// Foundation's Process, which on Linux waits for a socket the child inherits: `pg_ctl start`
/// leaves a daemon holding it, and the wait would never end.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-process-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: output) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let environ = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0)=\($1)") } + [nil]
    defer { environ.forEach { free($0) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else {
        throw PostgresServer.Failure.command(executable, status: -1, output: String(cString: strerror(spawned)))
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    // WIFEXITED and WEXITSTATUS, spelled out: Swift does not import the macros.
    let exited = status & 0x7f == 0
    let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    guard code == 0 else {
        throw PostgresServer.Failure.command(([executable] + arguments).joined(separator: " "), status: code, output: text)
    }
    return text
}

/// A TCP port nothing listens on right now (the kernel's choice for port 0).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw PostgresServer.Failure.unavailable("no free TCP port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}
