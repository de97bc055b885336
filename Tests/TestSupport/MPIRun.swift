// Open MPI's mpirun for tests: N ranks of a program on this machine (oversubscribed: the tests run
// more ranks than cores), each run bounded by a timeout after which the whole job is killed.
import Foundation
import XCTest

/// One `mpirun` job a test started.
public final class MPIRun: @unchecked Sendable {
    /// What a finished job printed, and how it ended.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let seconds: Double
        /// Whether the test's timeout killed it.
        public let timedOut: Bool
    }

    public let process = Process()
    let stdoutURL: URL
    let stderrURL: URL
    let started = Date()

    /// Where mpirun is, or nil (the test calls `missingService`).
    public static var mpirun: URL? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        return paths.map { URL(fileURLWithPath: $0).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The reason a test cannot run without mpirun.
    public static let unavailable = "mpirun not found (apt-get install openmpi-bin libopenmpi-dev, or run scripts/setup)"

    /// Starts `ranks` copies of `program arguments` in `folder` under mpirun, with `environment` added.
    public init(ranks: Int, program: URL, arguments: [String], in folder: URL, environment: [String: String] = [:]) throws {
        // Skipped without mpirun, failed under TLAB_REQUIRE_SERVICES=1.
        guard let mpirun = Self.mpirun else { throw missingService(Self.unavailable) }
        process.executableURL = mpirun
        // Root in containers and CI; more ranks than cores; no cross-memory attach (containers forbid
        // ptrace between processes), so shared memory copies through a buffer.
        var options = ["--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", String(ranks)]
        if getuid() == 0 { options.insert("--allow-run-as-root", at: 0) }
        process.arguments = options + [program.path] + arguments
        process.currentDirectoryURL = folder
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "TLAB_STORE")
        merged["NO_COLOR"] = "1"
        process.environment = merged.merging(environment) { $1 }
        let name = UUID().uuidString
        stdoutURL = folder.appendingPathComponent(".mpirun-stdout-\(name)")
        stderrURL = folder.appendingPathComponent(".mpirun-stderr-\(name)")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    /// What the job has printed to standard output so far.
    public var stdoutSoFar: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    /// What the job has printed to standard error so far (mpirun gives ranks a terminal, so the trainer's
    /// live batch line goes there).
    public var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Polls every 20 ms until `condition` holds on the output so far (standard error with
    /// `stderr`), the job ends, or `timeout` passes; returns whether the condition held.
    public func wait(for condition: (String) -> Bool, stderr: Bool = false, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var output: String { stderr ? stderrSoFar : stdoutSoFar }
        while Date() < deadline {
            if condition(output) { return true }
            if !process.isRunning { return condition(output) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Waits for the job to end; after `timeout` seconds it is terminated (mpirun passes SIGTERM on to
    /// every rank), then killed.
    public func finish(timeout: TimeInterval) throws -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            let grace = Date().addingTimeInterval(5)
            while process.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
        return Result(status: process.terminationStatus, stdout: stdoutSoFar,
                      stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "",
                      seconds: Date().timeIntervalSince(started), timedOut: timedOut)
    }
}
