// The executor when things go wrong or are about to change: a failing stage stops only what depends
// on it, a dry run says why each stage would run, and a training stage killed after an epoch resumes
// from its checkpoint to the same outputs as an uninterrupted run.
import Foundation
import Store
import XCTest
@testable import Pipeline

final class ExecutorRecoveryTests: XCTestCase {
    func testAFailingStageSkipsItsDependantsWhileIndependentBranchesFinish() throws {
        let store = try makeExecutionStore()
        let (summary, events) = try run(overrides: ["variants.frozen.freeze=up-to:nolayer"], store: store)
        XCTAssertTrue(summary.failed)
        guard case let .failed(error)? = summary.stage("freeze@frozen")?.state else {
            return XCTFail("freeze@frozen should fail, got \(String(describing: summary.stage("freeze@frozen")))")
        }
        XCTAssertTrue(error.contains("nolayer"), error)
        for stage in ["finetune@frozen", "evaluate@frozen"] {
            XCTAssertEqual(summary.stage(stage)?.state, .skipped(upstream: stage == "finetune@frozen" ? "freeze@frozen" : "finetune@frozen"))
        }
        XCTAssertEqual(summary.stage("report")?.state, .skipped(upstream: "evaluate@frozen"))
        XCTAssertEqual(summary.computed, ["data", "prep", "pretrain", "freeze@scratch", "finetune@scratch", "evaluate@scratch"])
        XCTAssertTrue(events.all.contains(.stageSkipped(stage: "report", upstream: "evaluate@frozen")))

        let records = try store.lineage.stageRuns(ofRun: summary.runID)
        XCTAssertEqual(records.first { $0.stage == "freeze@frozen" }?.status, .failed)
        XCTAssertEqual(records.first { $0.stage == "freeze@frozen" }?.error, error)
        XCTAssertNil(records.first { $0.stage == "finetune@frozen" }, "skipped stages leave no stage run")
        XCTAssertEqual(try store.lineage.run(id: summary.runID)?.status, .failed)
    }

    func testDryRunSaysWhatWouldRunAndWhyWithoutRecordingAnything() throws {
        let store = try makeExecutionStore()
        let plan = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml")
        let fresh = try Executor(plan: plan, store: store).dryRun()
        XCTAssertEqual(fresh.first?.reasons, ["never run"])
        XCTAssertEqual(fresh.first { $0.name == "prep" }?.reasons, ["upstream stage data will run, so its outputs are not known yet"])
        XCTAssertEqual(try store.lineage.runs(), [])

        _ = try run(store: store)
        let changed = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml", overrides: ["finetune.lr=0.002"])
        let previews = try Executor(plan: changed, store: store, options: ExecutorOptions(force: ["data"])).dryRun()
        let byName = Dictionary(uniqueKeysWithValues: previews.map { ($0.name, $0) })
        XCTAssertEqual(byName["data"]?.reasons, ["forced"])
        XCTAssertEqual(byName["prep"]?.cached, false)
        XCTAssertEqual(byName["prep"]?.reasons, ["upstream stage data will run, so its outputs are not known yet"])
        XCTAssertEqual(byName["finetune@frozen"]?.reasons.last, "parameter lr changed 0.001 → 0.002")

        let unforced = try Executor(plan: changed, store: store).dryRun()
        XCTAssertEqual(unforced.filter(\.cached).map(\.name), ["data", "prep", "pretrain", "freeze@scratch", "freeze@frozen"])
        XCTAssertEqual(unforced.first { $0.name == "finetune@scratch" }?.reasons, ["parameter lr changed 0.001 → 0.002"])
        XCTAssertEqual(unforced.first { $0.name == "evaluate@scratch" }?.key, nil)
    }

    /// A crash after epoch 1 of 2, as lineage sees it: a stage run of the fine-tune's key, left
    /// `running` by a process that is gone, with the checkpoint it recorded after epoch 1. The next
    /// run must resume it, train one epoch only, and end with the uninterrupted run's outputs.
    func testATrainingStageKilledAfterAnEpochResumesToTheSameOutputs() throws {
        let store = try makeExecutionStore()
        let uninterrupted = try run(store: store)
        let stage = "finetune@scratch"
        let finished = try XCTUnwrap(try store.lineage.stageRuns(ofRun: uninterrupted.summary.runID).first { $0.stage == stage })
        let epochOne = try XCTUnwrap(try store.lineage.checkpoints(ofStageRun: finished.id!).first)
        XCTAssertEqual(epochOne.step, 1)
        let expected = try outputs(of: stage, inRun: uninterrupted.summary.runID, store: store)

        let me = ProcessIdentity.current
        let dead = try LineageDatabase(path: store.lineage.path,
                                       identity: ProcessIdentity(host: me.host, pid: me.pid, startTicks: (me.startTicks ?? 0) + 1))
        let crashedRun = try dead.startRun(pipeline: "tiny-exec", pipelineHash: "h", seed: 3, toolVersion: "0.1.0")
        let crashed = try dead.startStageRun(runID: crashedRun.id!, key: finished.key, stage: stage, kind: "fine-tune", params: finished.params)
        let checkpointBlob = try store.blobs.info(epochOne.artifactHash)
        try dead.recordCheckpoint(stageRunID: crashed.id!, key: finished.key, step: 1,
                                  artifact: ArtifactRecord(blob: checkpointBlob, mediaType: .tensor))
        // The finished run's result is gone too, or the next run would simply reuse it.
        XCTAssertTrue(try store.blobs.remove(try XCTUnwrap(expected["weights"])))

        let resumed = try run(store: store, options: ExecutorOptions(quiet: false))
        XCTAssertEqual(resumed.summary.computed, [stage])
        XCTAssertTrue(resumed.events.all.contains(.message(stage: stage, text: "resuming from the checkpoint after epoch 1")))
        let epochs = resumed.events.all.filter { if case .epochSummary(stage, _) = $0 { return true } else { return false } }
        XCTAssertEqual(epochs.count, 1, "only the epoch after the checkpoint trains")
        XCTAssertEqual(try outputs(of: stage, inRun: resumed.summary.runID, store: store), expected)
        XCTAssertEqual(try store.lineage.stageRun(id: crashed.id!)?.record.status, .interrupted)
        let record = try XCTUnwrap(try store.lineage.stageRuns(ofRun: resumed.summary.runID).first { $0.stage == stage })
        XCTAssertEqual(try store.lineage.metrics(ofStageRun: record.id!).filter { $0.name == "loss" }.map(\.step), [1, 2],
                       "the resumed run's curves include the epoch before the crash")
    }
}
