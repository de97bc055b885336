// The download tests' HTTP server (`Tests/PipelineTests/Fixtures/http_fixture_server.py`) on
// 127.0.0.1: serves a folder's files whole, answers 404, cuts transfers short, or fails with 503 a
// given number of times, as its URL paths ask.
import Foundation

public final class HTTPFixtureServer {
    public struct NoPort: Error, CustomStringConvertible {
        public var description: String { "the fixture server printed no port" }
    }

    /// The loopback port it listens on.
    public let port: Int
    private let process: Process

    /// Starts serving `folder` and waits until the server prints its port.
    public init(serving folder: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PipelineTests/Fixtures/http_fixture_server.py")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, folder]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw NoPort()
        }
        self.port = port
    }

    /// Stops the server (if it still runs) and waits for it to exit.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
