// A fault-injecting HTTP proxy for the S3 tests: drops or cuts requests, ignores Range, garbles a
// body, or goes away (stop) and comes back on the same port, as a server restarting would.
import Foundation
import XCTest

/// A proxy in front of an upstream port that forwards requests, except those whose request line
/// contains `matching`: in `.drop` mode it drops their connection after taking the start of the body
/// (a server dying mid-upload); in `.cutFirstResponse` mode it forwards the first such request but
/// relays only the first 40,000 bytes of its answer (a download cut short), and later ones whole.
/// `.cutThenIgnoreRange` cuts the first answer so, then answers each later request that has a Range
/// header with 200 and the whole object, as HTTP allows; `.cutThenShortBody` answers those with 200
/// and a self-consistent Content-Length as long as the rest asked for, holding the object's first
/// bytes. `.garbleFirstResponse` flips one byte 30,000 bytes into the first answer.
/// Each request line it sees is appended to `log`.
public final class FaultyProxy: @unchecked Sendable {
    public enum Mode: String, Sendable {
        case drop
        case cutFirstResponse = "cut"
        case cutThenIgnoreRange = "whole"
        case cutThenShortBody = "short"
        case garbleFirstResponse = "garble"
    }

    public let port: Int
    public let log: URL
    private let process: Process

    /// Listens on `port` (a free one when nil: give a stopped proxy's port to restart it).
    public init(upstream: Int, matching: String, mode: Mode = .drop, log: URL, test: XCTestCase, port: Int? = nil) throws {
        self.port = try port ?? freePort()
        self.log = log
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, String(self.port), String(upstream), matching, mode.rawValue, log.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let process = self.process
        test.addTeardownBlock {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try waitForListener(port: self.port, timeout: 30)
    }

    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Stops the proxy: its port refuses connections, as a server that went down.
    /// SIGKILL, since a proxy started by a test process that ignores SIGTERM inherits that and would
    /// never end (a stop that waits forever).
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The request lines seen so far.
    public func requests() -> [String] {
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
                garble = None
                first = False
                with lock:
                    if matched and not cuts:
                        cuts.append(1)
                        first = True
                if matched and first and mode in ("cut", "whole", "short"):
                    limit = 40000
                if matched and first and mode == "garble":
                    garble = 30000
                ranged = [l for l in lines[1:-1] if l.lower().startswith(b"range:")]
                rewrite = matched and not first and mode in ("whole", "short") and ranged
                body = reader.read(length) if length else b""
                dropped = (b"connection:", b"range:", b"if-match:") if rewrite else (b"connection:",)
                kept = [l for l in lines[1:-1] if not l.lower().startswith(dropped)]
                request = lines[0] + b"".join(kept) + b"Connection: close\\r\\n\\r\\n" + body
                with socket.create_connection(("127.0.0.1", upstream)) as server:
                    server.sendall(request)
                    if rewrite:
                        answer = b""
                        while True:
                            data = server.recv(1 << 16)
                            if not data:
                                break
                            answer += data
                        head_part, whole = answer.split(b"\\r\\n\\r\\n", 1)
                        if mode == "short":
                            start = int(ranged[0].split(b"=", 1)[1].split(b"-")[0])
                            whole = whole[:len(whole) - start]
                        fields = [l for l in head_part.split(b"\\r\\n") if not l.lower().startswith(b"content-length:")]
                        fields.append(b"Content-Length: " + str(len(whole)).encode())
                        client.sendall(b"\\r\\n".join(fields) + b"\\r\\n\\r\\n" + whole)
                        return
                    sent = 0
                    while limit is None or sent < limit:
                        data = server.recv(1 << 16)
                        if not data:
                            break
                        if limit is not None:
                            data = data[:limit - sent]
                        if garble is not None and sent <= garble < sent + len(data):
                            data = data[:garble - sent] + bytes([data[garble - sent] ^ 0x5A]) + data[garble - sent + 1:]
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
