// Damaged blobs and cheap cache hits: a hit checks only that its outputs are there, so a damaged blob
// is found by the read that uses it, and then its producer computes again within the same run.
import Foundation
import Store
import XCTest
@testable import Pipeline
import TestSupport

final class ExecutorDamageTests: XCTestCase {
    /// Flips one byte in the middle of blob `hash`'s file (a valid size, wrong content).
    private func flipByte(of hash: String, in store: PipelineStore) throws {
        let path = try store.blobs.path(of: hash).path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func testADamagedBlobInTheMiddleOfAChainIsRecomputedWhenItsConsumerReadsIt() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        XCTAssertFalse(first.summary.failed, "\(first.summary.stages)")
        let weights = try XCTUnwrap(outputs(of: "pretrain", inRun: first.summary.runID, store: store)["weights"])
        let frozen = try outputs(of: "freeze@frozen", inRun: first.summary.runID, store: store)
        try flipByte(of: weights, in: store)

        // A cache lookup does not read the blob, so it does not see the damage: every stage is cached.
        let plan = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml")
        XCTAssertEqual(try Executor(plan: plan, store: store).dryRun().filter { !$0.cached }.map(\.name), [])

        // freeze reads pretrain's weights: its read finds them damaged, pretrain computes them again,
        // then freeze computes, and the run goes on to the end.
        let second = try run(store: store, options: ExecutorOptions(force: ["freeze@frozen"], quiet: true))
        XCTAssertFalse(second.summary.failed, "\(second.summary.stages)")
        XCTAssertEqual(second.summary.stage("pretrain")?.state, .computed)
        XCTAssertEqual(second.summary.stage("freeze@frozen")?.state, .computed)
        XCTAssertEqual(second.summary.stage("finetune@frozen")?.state, .hit, "freeze's recomputed outputs are the same bits")
        XCTAssertTrue(second.events.all.contains(.message(stage: "freeze@frozen", text:
            "an input is missing or damaged (\(weights.prefix(12))): recomputing pretrain, then this stage")), "\(second.events.all)")
        XCTAssertEqual(try outputs(of: "pretrain", inRun: second.summary.runID, store: store)["weights"], weights)
        XCTAssertEqual(try outputs(of: "freeze@frozen", inRun: second.summary.runID, store: store), frozen)
        XCTAssertEqual(store.blobs.verify(weights), .intact, "pretrain's put replaced the damaged file")
        let records = try store.lineage.stageRuns(ofRun: second.summary.runID)
        XCTAssertEqual(records.filter { $0.stage == "freeze@frozen" }.map(\.status), [.failed, .finished],
                       "the attempt that found the damage is recorded, then the one that finished")
    }

    func testVerifyOutputsRehashesEveryCachedOutputBeforeReusingIt() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        let info = try XCTUnwrap(outputs(of: "prep", inRun: first.summary.runID, store: store)["info"])
        try flipByte(of: info, in: store)

        let second = try run(store: store, options: ExecutorOptions(quiet: true, verifyOutputs: true))
        XCTAssertFalse(second.summary.failed, "\(second.summary.stages)")
        XCTAssertEqual(second.summary.computed, ["prep"], "only the stage whose output was damaged computes")
        let reasons = second.events.all.compactMap { event -> String? in
            if case let .stageStarted("prep", _, reason) = event { return reason } else { return nil }
        }
        XCTAssertEqual(reasons, ["cached output info (\(info.prefix(12))) is damaged"])
        XCTAssertEqual(store.blobs.verify(info), .intact)
    }

    func testAStageWhoseInputsStayDamagedFailsInsteadOfLooping() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        let weights = try XCTUnwrap(outputs(of: "pretrain", inRun: first.summary.runID, store: store)["weights"])
        // A store whose puts succeed but leave the file damaged: each recomputation of pretrain
        // writes the weights, and the write is then damaged again before freeze reads them.
        let damaging = DamagingEvents(store: store, hash: weights, damage: { try self.flipByte(of: weights, in: store) })
        try damaging.damage()
        let plan = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml")
        let summary = try Executor(plan: plan, store: store, options: ExecutorOptions(force: ["freeze@frozen"], quiet: true),
                                   events: { damaging.handle($0) }).run()
        guard case let .failed(error)? = summary.stage("freeze@frozen")?.state else {
            return XCTFail("freeze@frozen should fail, got \(String(describing: summary.stage("freeze@frozen")))")
        }
        XCTAssertTrue(error.contains("were unusable again after their producers pretrain computed them anew"), error)
        XCTAssertEqual(summary.stage("pretrain")?.state, .computed, "pretrain computed once, not again and again")
    }
}

/// Damages blob `hash` each time the stage that writes it finishes, as a disk that corrupts what it
/// stores would.
private final class DamagingEvents: @unchecked Sendable {
    let store: PipelineStore
    let hash: String
    let damage: () throws -> Void

    init(store: PipelineStore, hash: String, damage: @escaping () throws -> Void) {
        (self.store, self.hash, self.damage) = (store, hash, damage)
    }

    func handle(_ event: ExecutionEvent) {
        if case .stageFinished("pretrain", .computed, _) = event { try? damage() }
    }
}
