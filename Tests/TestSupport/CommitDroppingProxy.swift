// A TCP proxy in front of a PostgreSQL server that, once armed, loses the acknowledgement of the next
// COMMIT: it forwards the COMMIT to the server, lets the server commit, and hangs up on the client
// before the answer reaches it, as a server restart or a network cut at that instant would.
import Foundation
import XCTest

public final class CommitDroppingProxy: @unchecked Sendable {
    public let port: Int
    private let armFile: URL
    private let process: Process

    /// Listens on a free loopback port and forwards every connection to `upstream` on 127.0.0.1.
    public init(upstream: Int, folder: URL, test: XCTestCase) throws {
        port = try freePort()
        armFile = folder.appendingPathComponent("drop-next-commit")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, String(port), String(upstream), armFile.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let process = self.process
        test.addTeardownBlock {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try waitForListener(port: port, timeout: 30)
    }

    /// Makes the next COMMIT any client sends go unacknowledged.
    public func dropNextCommitAcknowledgement() throws {
        try Data().write(to: armFile)
    }

    /// Whether the armed COMMIT has passed (and its acknowledgement was dropped).
    public var dropped: Bool { !FileManager.default.fileExists(atPath: armFile.path) }

    // A simple-query COMMIT is the bytes 'Q', length 11 (big-endian), "COMMIT\0": libpq sends it so
    // for PQexec("COMMIT"). Each connection is two threads, one per direction.
    private static let script = #"""
import os, socket, sys, threading, time
port, upstream, arm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
commit = b"Q\x00\x00\x00\x0bCOMMIT\x00"
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(64)

def close(*sockets):
    for s in sockets:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

def serve(client):
    server = socket.create_connection(("127.0.0.1", upstream))
    state = {"dropping": False}
    def down():
        try:
            while True:
                data = server.recv(65536)
                if not data or state["dropping"]:
                    break
                client.sendall(data)
        except OSError:
            pass
        close(client, server)
    threading.Thread(target=down, daemon=True).start()
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if commit in data and os.path.exists(arm):
                state["dropping"] = True
                server.sendall(data)
                time.sleep(0.5)
                os.remove(arm)
                break
            server.sendall(data)
    except OSError:
        pass
    close(client, server)

while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
"""#
}
