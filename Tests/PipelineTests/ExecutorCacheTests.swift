// The executor end to end: a first run computes everything, a second reuses everything, and a change
// reruns exactly what it reaches; lineage records what ran, and the report regenerates byte for byte.
import Foundation
import Store
import XCTest
@testable import Pipeline
@testable import Reporting

final class ExecutorCacheTests: XCTestCase {
    private let allStages = ["data", "prep", "pretrain", "freeze@scratch", "finetune@scratch", "evaluate@scratch",
                             "freeze@frozen", "finetune@frozen", "evaluate@frozen", "report"]

    func testFirstRunComputesEveryStageAndTheSecondComputesNothing() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        XCTAssertFalse(first.summary.failed, "\(first.summary.stages)")
        XCTAssertEqual(first.summary.computed, allStages)
        let records = try store.lineage.stageRuns(ofRun: first.summary.runID)
        XCTAssertEqual(records.map(\.stage), allStages)
        XCTAssertTrue(records.allSatisfy { $0.status == .finished && !$0.cacheHit && $0.material != nil })
        for record in records {
            XCTAssertEqual(record.key, first.summary.stage(record.stage)?.key)
            XCTAssertFalse(try XCTUnwrap(try store.lineage.stageRun(id: record.id!)).outputs.isEmpty, record.stage)
        }
        let fineTune = try XCTUnwrap(records.first { $0.stage == "finetune@frozen" })
        XCTAssertEqual(try store.lineage.metrics(ofStageRun: fineTune.id!).filter { $0.name == "val_accuracy" }.map(\.step), [1, 2])

        let second = try run(store: store)
        XCTAssertEqual(second.summary.computed, [], "a run of cache hits computes nothing")
        XCTAssertEqual(second.events.finished(.hit), allStages)
        XCTAssertEqual(second.summary.stages.map(\.key), first.summary.stages.map(\.key))
        XCTAssertTrue(try store.lineage.stageRuns(ofRun: second.summary.runID).allSatisfy(\.cacheHit))
        XCTAssertEqual(try outputs(of: "report", inRun: second.summary.runID, store: store),
                       try outputs(of: "report", inRun: first.summary.runID, store: store))
    }

    func testTheReportRegeneratesByteForByteFromLineage() throws {
        let store = try makeExecutionStore()
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-reports-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: reports) }
        let (summary, _) = try run(store: store, options: ExecutorOptions(quiet: true, reportsDirectory: reports))
        XCTAssertEqual(summary.reportFiles.map { ($0 as NSString).lastPathComponent },
                       ["accuracy-vs-time.svg", "comparisons.csv", "report.md", "results.csv", "summary.csv", "test-accuracy.svg",
                        "validation-accuracy.svg", "validation-loss.svg"])

        let regenerated = try store.regenerateReport(pipeline: "tiny-exec")
        let recorded = try outputs(of: "report", inRun: summary.runID, store: store)
        for (name, text) in regenerated {
            XCTAssertEqual(try String(contentsOfFile: reports.appendingPathComponent("tiny-exec/\(name)").path, encoding: .utf8), text, name)
            XCTAssertEqual(String(decoding: try store.blobs.read(XCTUnwrap(recorded[name])), as: UTF8.self), text, name)
        }
        let markdown = try XCTUnwrap(regenerated["report.md"])
        XCTAssertTrue(markdown.hasPrefix("# Comparison report: tiny-exec\n"), markdown)
        XCTAssertTrue(markdown.contains("| scratch |") && markdown.contains("| frozen |"), markdown)
        // The run's provenance names the exact dependency versions this build pins.
        XCTAssertTrue(markdown.contains("- Built with: " + BuildDependencies.pinned.map(\.description).joined(separator: ", ")), markdown)
        let titled = try run(overrides: ["report.title=Two variants"], store: store)
        XCTAssertEqual(titled.summary.computed, ["report"])
        XCTAssertTrue(try store.regenerateReport(pipeline: "tiny-exec")["report.md"]!.hasPrefix("# Two variants\n"))
        XCTAssertThrowsError(try store.regenerateReport(pipeline: "other")) { error in
            XCTAssertEqual(error as? ExecutionError, .noReport(pipeline: "other", runID: nil, store: store.root.path))
        }
    }

    func testChangingOneVariantsParameterRerunsExactlyItsBranchAndTheReport() throws {
        let store = try makeExecutionStore()
        _ = try run(store: store)
        let changed = try run(overrides: ["variants.frozen.lr=0.01"], store: store)
        XCTAssertEqual(changed.summary.computed, ["finetune@frozen", "evaluate@frozen", "report"])
        let reason = changed.events.all.compactMap { event -> String? in
            if case let .stageStarted("finetune@frozen", _, reason) = event { return reason } else { return nil }
        }
        XCTAssertEqual(reason, ["parameter lr changed 0.001 → 0.01"])

        // The runs record which pipeline they ran: the file's hash, then the file's with the override.
        let hashes = try store.lineage.runs().sorted { $0.id! < $1.id! }.map(\.pipelineHash)
        let file = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml")
        let overridden = try PipelinePlan(yaml: tinyExecutionPipeline, file: "tiny-exec.yaml", overrides: ["variants.frozen.lr=0.01"])
        XCTAssertEqual(hashes, [file.fileHash, overridden.runHash])
        XCTAssertNotEqual(overridden.runHash, overridden.fileHash)
    }

    func testRetrainingTheBackboneLeavesTheRandomInitVariantCached() throws {
        let store = try makeExecutionStore()
        _ = try run(store: store)
        let retrained = try run(overrides: ["pretrain.epochs=2"], store: store)
        // freeze@scratch passes the new weights on, but a random-init fine-tune reads only the
        // architecture, which did not change.
        XCTAssertEqual(retrained.summary.computed, ["pretrain", "freeze@scratch", "freeze@frozen", "finetune@frozen",
                                                    "evaluate@frozen", "report"])
    }

    func testADeletedBlobRerunsOnlyTheStageThatMadeItAndItsIdenticalOutputEndsTheRerun() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        let weights = try XCTUnwrap(try outputs(of: "finetune@scratch", inRun: first.summary.runID, store: store)["weights"])
        XCTAssertTrue(try store.blobs.remove(weights))

        let second = try run(store: store)
        XCTAssertEqual(second.summary.computed, ["finetune@scratch"], "training is deterministic, so evaluate's inputs did not change")
        XCTAssertEqual(try outputs(of: "finetune@scratch", inRun: second.summary.runID, store: store)["weights"], weights)
        XCTAssertEqual(store.blobs.verify(weights), .intact)
    }

    func testForceRerunsTheNamedStageOnly() throws {
        let store = try makeExecutionStore()
        _ = try run(store: store)
        let forced = try run(store: store, options: ExecutorOptions(force: ["pretrain"], quiet: true))
        XCTAssertEqual(forced.summary.computed, ["pretrain"])
        XCTAssertTrue(forced.events.all.contains(.stageStarted(stage: "pretrain", keyPrefix: String(forced.summary.stage("pretrain")!.key!.prefix(12)),
                                                               reason: "forced")))
        XCTAssertThrowsError(try run(store: store, options: ExecutorOptions(force: ["pretrian"]))) { error in
            XCTAssertTrue("\(error)".contains("pretrian"), "\(error)")
        }
        XCTAssertEqual(try store.lineage.runs().count, 2, "an unknown stage is refused before a run starts")
    }

    func testJobsDoNotChangeWhatIsComputed() throws {
        let one = try run(store: try makeExecutionStore())
        let two = try run(store: try makeExecutionStore(), options: ExecutorOptions(jobs: 2, quiet: true))
        XCTAssertEqual(two.summary.computed.sorted(), allStages.sorted())
        XCTAssertEqual(two.summary.stages.map(\.key), one.summary.stages.map(\.key), "same outputs give the same keys downstream")
    }
}
