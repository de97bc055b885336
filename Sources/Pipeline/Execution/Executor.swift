// Runs a plan's stages in dependency order over a store: each stage is a cache hit or computes, its
// dependants wait for it, and independent stages may run side by side (`jobs`).
import Foundation
import Store

/// Executes a `PipelinePlan` against a `PipelineStore`.
///
/// ```swift
/// let plan = try PipelinePlan(contentsOf: "pipelines/smoke.yaml", overrides: ["finetune.lr=3e-4"])
/// let store = try PipelineStore(root: URL(fileURLWithPath: "artifacts"))
/// let summary = try Executor(plan: plan, store: store, options: ExecutorOptions(jobs: 2)) { event in
///     print(event)
/// }.run()
/// ```
///
/// A run holds the store lock shared (gc cannot sweep under it), is recorded in lineage as a run with
/// one stage run per stage, and never throws for a stage's failure: the stage is recorded failed,
/// its dependants are skipped, independent stages go on, and the summary says so.
public final class Executor {
    public let plan: PipelinePlan
    public let store: PipelineStore
    public let options: ExecutorOptions
    let events: ExecutionEventSink

    public init(plan: PipelinePlan, store: PipelineStore, options: ExecutorOptions = ExecutorOptions(),
                events: @escaping ExecutionEventSink = { _ in }) {
        self.plan = plan
        self.store = store
        self.options = options
        self.events = events
    }

    /// Runs every stage (cache hits compute nothing) and, when `options.reportsDirectory` is set and a
    /// report stage finished, writes the report there. Throws only when the run cannot start or be
    /// recorded (store busy or unreadable); stage failures are in the summary.
    public func run() throws -> RunSummary {
        try checkForcedNames()
        let lock = try StoreLock(root: store.root, mode: .shared)
        defer { lock.release() }
        let run = try store.lineage.startRun(pipeline: plan.name, pipelineHash: plan.runHash, seed: Int64(plan.seed),
                                             toolVersion: options.toolVersion)
        let runID = run.id!
        events(.runStarted(runID: runID, pipeline: plan.name))
        let interruption = options.exitOnInterrupt ? InterruptHandler(lineage: store.lineage, runID: runID) : nil
        defer { interruption?.uninstall() }

        let summaries = schedule(runID: runID, interruption: interruption)
        let stages = plan.stages.map { summaries[$0.name]! }
        let failed = stages.contains { if case .failed = $0.state { return true } else { return false } }
        try store.lineage.finishRun(runID, status: failed ? .failed : .finished)
        var reportFiles: [String] = []
        if let directory = options.reportsDirectory, plan.stages.contains(where: { $0.kind == .report }),
           stages.contains(where: { $0.kind == .report && ($0.state == .hit || $0.state == .computed) }) {
            let files = try store.regenerateReport(pipeline: plan.name, runID: runID)
            reportFiles = try ReportWriter.write(files: files, to: directory.appendingPathComponent(plan.name)).map(\.path)
        }
        events(.runFinished(runID: runID, failed: failed))
        return RunSummary(runID: runID, stages: stages, reportFiles: reportFiles)
    }

    /// Starts each stage once its producers have finished, at most `options.jobs` at a time, in
    /// plan order among those ready; a stage whose producer failed or was skipped is skipped.
    private func schedule(runID: Int64, interruption: InterruptHandler?) -> [String: StageSummary] {
        let state = ScheduleState()
        var remaining = plan.stages
        state.condition.lock()
        while !remaining.isEmpty || state.running > 0 {
            var started = false
            var index = 0
            while index < remaining.count {
                let stage = remaining[index]
                let producers = plan.graph.producers(of: stage.name)
                if let blocked = producers.first(where: { state.summaries[$0].map(Self.isUnsuccessful) ?? false }) {
                    remaining.remove(at: index)
                    state.summaries[stage.name] = StageSummary(name: stage.name, kind: stage.kind, key: nil,
                                                               state: .skipped(upstream: blocked), seconds: 0)
                    events(.stageSkipped(stage: stage.name, upstream: blocked))
                    started = true
                    continue
                }
                guard state.running < options.jobs, producers.allSatisfy({ state.outputs[$0] != nil }) else {
                    index += 1
                    continue
                }
                remaining.remove(at: index)
                state.running += 1
                started = true
                let inputs = InputBinding.inputs(of: stage, outputs: state.outputs)
                if options.jobs == 1 {
                    state.condition.unlock()
                    let result = execute(stage, inputs: inputs, runID: runID, interruption: interruption)
                    state.condition.lock()
                    state.finish(stage.name, result)
                } else {
                    DispatchQueue.global().async {
                        let result = self.execute(stage, inputs: inputs, runID: runID, interruption: interruption)
                        state.condition.lock()
                        state.finish(stage.name, result)
                        state.condition.signal()
                        state.condition.unlock()
                    }
                }
            }
            if !started && state.running > 0 { state.condition.wait() }
        }
        state.condition.unlock()
        return state.summaries
    }

    private static func isUnsuccessful(_ summary: StageSummary) -> Bool {
        switch summary.state {
        case .failed, .skipped: return true
        case .hit, .computed: return false
        }
    }

    /// Fails with `PipelineError.unknownStage` (naming the valid ones) for a `force` name that is
    /// no stage of the plan, before anything runs.
    func checkForcedNames() throws {
        for name in options.force.sorted() { _ = try plan.stages(named: name) }
    }

    /// Whether `--force` names this stage, by its plan name or its file name (every variant's copy).
    func isForced(_ stage: PlannedStage) -> Bool {
        options.force.contains(stage.name) || options.force.contains(stage.template)
    }
}

/// The scheduler's shared bookkeeping; every access holds `condition`.
private final class ScheduleState: @unchecked Sendable {
    let condition = NSCondition()
    /// Output name → hash, per finished stage.
    var outputs: [String: [String: String]] = [:]
    var summaries: [String: StageSummary] = [:]
    var running = 0

    func finish(_ stage: String, _ result: (StageSummary, [String: String]?)) {
        summaries[stage] = result.0
        outputs[stage] = result.1
        running -= 1
    }
}
