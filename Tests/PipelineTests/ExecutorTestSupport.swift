// Shared setup for the executor tests: a pipeline small enough for a debug build, a fresh store, and
// a runner that records every event.
import Foundation
import Store
import XCTest
@testable import Pipeline

/// A pipeline with every stage kind and two variants, on 12x12 synthetic images and a DenseNet-BC of
/// one layer per block: seconds in a debug build.
let tinyExecutionPipeline = """
    name: tiny-exec
    seed: 3
    stages:
      data: { kind: download, params: { source: synthetic, images: 140, image_size: 12 } }
      prep:
        kind: preprocess
        inputs: { raw: data }
        params: { source_classes: [0, 1, 2], target_classes: [3, 4], per_class: 12, validation_fraction: 0.25 }
      pretrain: { kind: pretrain, inputs: { data: prep }, params: { depth: 7, growth: 2, blocks: 2, epochs: 1, batch: 16 } }
      freeze: { kind: freeze, inputs: { backbone: pretrain, data: prep } }
      finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { epochs: 2, batch: 8 } }
      evaluate: { kind: evaluate, inputs: { model: finetune, data: prep } }
      report: { kind: report, inputs: { evaluations: evaluate } }
    variants:
      scratch: { init: random }
      frozen: { freeze: backbone, head: study-frozen }

    """

/// Collects events from any thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ExecutionEvent] = []

    func append(_ event: ExecutionEvent) { lock.withLock { events.append(event) } }
    var all: [ExecutionEvent] { lock.withLock { events } }

    /// The stages that finished with `outcome`, in the order they finished.
    func finished(_ outcome: StageOutcome) -> [String] {
        all.compactMap { if case let .stageFinished(stage, o, _) = $0, o == outcome { return stage } else { return nil } }
    }
}

extension XCTestCase {
    /// A fresh store folder, removed when the test ends.
    func makeExecutionStore() throws -> PipelineStore {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-exec-\(UUID().uuidString)")
        addTeardownBlock {
            _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", root.path]).waitUntilExit()
            try? FileManager.default.removeItem(at: root)
        }
        return try PipelineStore(root: root)
    }

    /// Runs `yaml` with `overrides` against `store`; returns the summary and the events it sent.
    func run(_ yaml: String = tinyExecutionPipeline, overrides: [String] = [], store: PipelineStore,
             options: ExecutorOptions = ExecutorOptions(quiet: true)) throws -> (summary: RunSummary, events: EventLog) {
        let log = EventLog()
        let plan = try PipelinePlan(yaml: yaml, file: "tiny-exec.yaml", overrides: overrides)
        let summary = try Executor(plan: plan, store: store, options: options) { log.append($0) }.run()
        return (summary, log)
    }

    /// The outputs (name → hash) of the stage called `stage` in run `runID`.
    func outputs(of stage: String, inRun runID: Int64, store: PipelineStore) throws -> [String: String] {
        let record = try XCTUnwrap(try store.lineage.stageRuns(ofRun: runID).last { $0.stage == stage })
        return try XCTUnwrap(try store.lineage.stageRun(id: record.id!)).outputs
    }
}
