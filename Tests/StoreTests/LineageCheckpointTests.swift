// Checkpoints in lineage: a crashed stage run's checkpoints are found by the next run of its key, a
// finished one's are not, and gc keeps exactly the ones a retry could resume from.
import Foundation
import XCTest
@testable import Store

class LineageCheckpointTests: XCTestCase {
    func testTheLatestCheckpointOfAnUnfinishedRunOfTheKeyIsFound() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: 1, toolVersion: "0.1")
        let crashed = try lineage.startStageRun(runID: run.id!, key: "k", stage: "finetune", kind: "fine-tune", params: "{}")
        for step in 1...3 {
            try lineage.recordCheckpoint(stageRunID: crashed.id!, key: "k", step: step, artifact: artifact("epoch \(step)"))
        }
        let other = try lineage.startStageRun(runID: run.id!, key: "other", stage: "pretrain", kind: "pretrain", params: "{}")
        try lineage.recordCheckpoint(stageRunID: other.id!, key: "other", step: 9, artifact: artifact("other 9"))
        try lineage.failStageRun(crashed.id!, error: "interrupted")

        let latest = try XCTUnwrap(try lineage.latestCheckpoint(key: "k"))
        XCTAssertEqual(latest.step, 3)
        XCTAssertEqual(latest.artifactHash, artifact("epoch 3").hash)
        XCTAssertEqual(latest.stageRunID, crashed.id)
        XCTAssertEqual(try lineage.checkpoints(ofStageRun: crashed.id!).map(\.step), [1, 2, 3])
        XCTAssertNil(try lineage.latestCheckpoint(key: "unknown"))
    }

    func testAFinishedRunsCheckpointsAreSpent() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: 1, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "finetune", kind: "fine-tune", params: "{}")
        try lineage.recordCheckpoint(stageRunID: stage.id!, key: "k", step: 1, artifact: artifact("epoch 1"))
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["weights": artifact("weights")], seconds: 1)
        XCTAssertNil(try lineage.latestCheckpoint(key: "k"))
    }

    func testGCKeepsCheckpointsOfUnfinishedRunsOnlyAndVerifyKnowsThem() throws {
        let recorded = try RecordedStore(root: makeScratchFolder(), lineage: makeLineageDatabase())
        let lineage = recorded.lineage
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: 1, toolVersion: "0.1")
        func checkpoint(of stage: StageRunRecord, _ bytes: Data) throws -> String {
            let blob = try recorded.store.put(bytes)
            try lineage.recordCheckpoint(stageRunID: stage.id!, key: stage.key, step: 1,
                                         artifact: ArtifactRecord(blob: blob, mediaType: .tensor))
            try recorded.age(blob.hash, by: 7200)
            return blob.hash
        }
        let crashed = try lineage.startStageRun(runID: run.id!, key: "a", stage: "a", kind: "fine-tune", params: "{}")
        let kept = try checkpoint(of: crashed, testBytes(500, seed: 1))
        try lineage.failStageRun(crashed.id!, error: "killed")
        let done = try lineage.startStageRun(runID: run.id!, key: "b", stage: "b", kind: "fine-tune", params: "{}")
        let spent = try checkpoint(of: done, testBytes(500, seed: 2))
        try lineage.finishStageRun(done.id!, inputs: [:], outputs: [:], seconds: 1)
        try lineage.finishRun(run.id!, status: .failed)

        XCTAssertEqual(try recorded.store.verify(against: lineage).orphaned, [])
        let report = try recorded.store.collectGarbage(lineage: lineage,
                                                       policy: GCPolicy(finishedRunsPerPipeline: 0, grace: 60))
        XCTAssertEqual(report.swept, [spent])
        XCTAssertTrue(recorded.store.contains(kept))
        XCTAssertEqual(try lineage.latestCheckpoint(key: "a")?.artifactHash, kept)
        XCTAssertFalse(try recorded.store.verify(against: lineage).isDamaged)

        // The retry of key "a" finishes: the crashed run's checkpoint has served its purpose.
        let retryRun = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: 1, toolVersion: "0.1")
        let retry = try lineage.startStageRun(runID: retryRun.id!, key: "a", stage: "a", kind: "fine-tune", params: "{}")
        try lineage.finishStageRun(retry.id!, inputs: [:], outputs: [:], seconds: 1)
        try lineage.finishRun(retryRun.id!, status: .finished)
        let after = try recorded.store.collectGarbage(lineage: lineage, policy: GCPolicy(finishedRunsPerPipeline: 0, grace: 60))
        XCTAssertEqual(after.swept, [kept])
    }

    func testKeyMaterialIsKeptWithTheStageRunAndCopiedToCacheHits() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: 1, toolVersion: "0.1")
        let material = #"{"engine":1,"kind":"evaluate"}"#
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "e", kind: "evaluate", params: "{}",
                                              material: material)
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["out": artifact("out")], seconds: 1)
        let source = try XCTUnwrap(try lineage.cachedStageRun(key: "k"))
        XCTAssertEqual(source.record.material, material)
        let hit = try lineage.recordCacheHit(runID: run.id!, stage: "e2", from: source)
        XCTAssertEqual(try lineage.stageRun(id: hit.id!)?.record.material, material)
    }
}
