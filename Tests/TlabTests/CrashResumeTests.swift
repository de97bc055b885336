// A run killed with SIGKILL in the middle of fine-tuning, run again, ends with the same trained
// weights and evaluations as a run that was never interrupted.
import Foundation
import Store
import XCTest

final class CrashResumeTests: XCTestCase {
    /// Fine-tuning the basic variant long enough to be killed in the middle: an epoch here takes a few
    /// milliseconds, and the kill lands up to a poll interval (20 ms) after the marker line.
    private let epochs = 40
    private var longerFineTune: [String] { ["-S", "variants.basic.epochs=\(epochs)", "-S", "prep.per_class=30"] }

    func testRunKilledDuringFineTuneResumesToTheSameOutputs() throws {
        let folder = try makePipelineFolder()
        let uninterrupted = try tlab(["run", "tiny.yaml", "--store", "whole"] + longerFineTune, in: folder)
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stdout + uninterrupted.stderr)

        let killed = try runUntilKilled(["run", "tiny.yaml", "--store", "crashed"] + longerFineTune, in: folder,
                                        after: "finetune@basic: epoch 2/\(epochs)  loss")
        XCTAssertFalse(killed.contains("computed finetune@basic"), "killed before fine-tuning ended:\n\(killed)")

        let resumed = try tlab(["run", "tiny.yaml", "--store", "crashed"] + longerFineTune, in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        // Killed after epoch 2's line and before the last epoch: a checkpoint in between is the newest.
        let resumedLine = try Regex("finetune@basic: resuming from the checkpoint after epoch ([0-9]+)\n")
        let resumedAfter = resumed.stdout.firstMatch(of: resumedLine).flatMap { $0.output[1].substring.flatMap { Int($0) } }
        XCTAssertNotNil(resumedAfter, resumed.stdout)
        XCTAssertTrue((1..<epochs).contains(resumedAfter ?? 0), "resumed after epoch \(resumedAfter ?? 0):\n\(resumed.stdout)")
        XCTAssertTrue(resumed.stdout.contains("cached   pretrain"), "finished stages are reused:\n\(resumed.stdout)")

        for stage in ["finetune@basic", "evaluate@basic", "finetune@frozen", "evaluate@frozen"] {
            var whole = try outputs(of: stage, in: folder, store: "whole")
            var crashed = try outputs(of: stage, in: folder, store: "crashed")
            // Checkpoints are the only outputs that may differ: they record where training stood.
            whole = whole.filter { !$0.key.hasPrefix("checkpoint") }
            crashed = crashed.filter { !$0.key.hasPrefix("checkpoint") }
            XCTAssertFalse(whole.isEmpty, stage)
            XCTAssertEqual(crashed, whole, stage)
        }
        let runs = try tlab(["runs", "--store", "crashed", "--json"], in: folder)
        let statuses = (try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as! [[String: Any]]).map { $0["status"] as! String }
        XCTAssertEqual(statuses, ["finished", "interrupted"])
    }

    /// Starts `tlab arguments`, SIGKILLs it as soon as its output contains `marker`, and returns
    /// the output it had written.
    private func runUntilKilled(_ arguments: [String], in folder: URL, after marker: String) throws -> String {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("tlab")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "TLAB_STORE" }
        let log = folder.appendingPathComponent("killed.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var output = ""
        while process.isRunning && !output.contains(marker) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(process.isRunning, "the run ended before '\(marker)' showed:\n\(output)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        return try String(contentsOf: log, encoding: .utf8)
    }
}
