// Ctrl-C during a run, in a child process (the test binary running one test): the stage in progress
// is recorded failed, the run interrupted, the process exits 130, and the next run resumes training
// from the last checkpoint.
import Foundation
import Store
import XCTest
@testable import Pipeline
import TestSupport

final class ExecutorInterruptTests: XCTestCase {
    private static let storeVariable = "TLAB_INTERRUPT_TEST_STORE"
    private let overrides = ["finetune.epochs=8"]

    func testCtrlCDuringFineTuneIsRecordedAndTheNextRunResumes() throws {
        let store = try makeExecutionStore()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["PipelineTests.ExecutorInterruptTests/testInterruptedChildRun"]
        // A temporary folder of its own, to see what scratch the child leaves behind.
        let temporary = try makeTemporaryDirectory(self)
        child.environment = ProcessInfo.processInfo.environment.merging([Self.storeVariable: store.root.path,
                                                                         "TMPDIR": temporary]) { $1 }
        let stdout = Pipe()
        child.standardOutput = stdout
        child.standardError = FileHandle.nullDevice
        try child.run()
        // Interrupt once fine-tuning has checkpointed its first epoch.
        var output = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
            output += byte
            if String(decoding: output, as: UTF8.self).contains("finetune@scratch: epoch 2/8") { break }
        }
        kill(child.processIdentifier, SIGINT)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .exit)
        XCTAssertEqual(child.terminationStatus, 130, String(decoding: output, as: UTF8.self))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary).filter { $0.hasPrefix("tlab-stage-") }, [],
                       "the interrupted stage's scratch folder is removed")

        let run = try XCTUnwrap(try store.lineage.runs().first)
        XCTAssertEqual(run.status, .interrupted)
        let interrupted = try XCTUnwrap(try store.lineage.stageRuns(ofRun: run.id!).last)
        XCTAssertEqual(interrupted.status, .failed)
        XCTAssertTrue(interrupted.error?.contains("interrupted by SIGINT") ?? false, "\(interrupted)")
        let saved = try store.lineage.checkpoints(ofStageRun: interrupted.id!).map(\.step)
        XCTAssertFalse(saved.isEmpty)

        let (summary, events) = try self.run(overrides: overrides, store: store)
        XCTAssertFalse(summary.failed)
        XCTAssertTrue(events.all.contains(.message(stage: interrupted.stage, text: "resuming from the checkpoint after epoch \(saved.last!)")))
    }

    /// The child's part: a run that prints each epoch and exits 130 on SIGINT. Skipped unless the
    /// parent test started it.
    func testInterruptedChildRun() throws {
        guard let root = ProcessInfo.processInfo.environment[Self.storeVariable] else {
            throw XCTSkip("runs only as the child of testCtrlCDuringFineTuneIsRecordedAndTheNextRunResumes")
        }
        let plan = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml", overrides: overrides)
        let store = try PipelineStore(root: URL(fileURLWithPath: root))
        _ = try Executor(plan: plan, store: store, options: ExecutorOptions(exitOnInterrupt: true)) { event in
            if case let .epochSummary(stage, line) = event { FileHandle.standardOutput.write(Data("\(stage): \(line)\n".utf8)) }
        }.run()
        XCTFail("the parent interrupts this run before it ends")
    }
}
