// Runs a plan's stages in dependency order over a store: each stage is a cache hit or computes, its
// dependants wait for it, and independent stages may run side by side (`jobs`).
import Foundation
import Reporting
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
    ///
    /// Before computing a stage the run claims its key in lineage; a key another live process has
    /// claimed is left to it: the run goes on with other ready stages and then waits for that key's
    /// result, which it reuses as a cache hit. So several runs of one pipeline on one store, on one
    /// machine or many, compute each key once.
    ///
    /// Rank 0 of an MPI job (`options.ranks`) tells the other ranks when the run is over, however it ends.
    public func run() throws -> RunSummary {
        defer { if let world = options.ranks, world.size > 1 { _ = try? RankOrder.exchange(.finished, over: world) } }
        try checkForcedNames()
        let lock = try StoreLock(root: store.root, mode: .shared)
        defer { lock.release() }
        StageScratch.sweepStale()
        let run = try store.lineage.startRun(pipeline: plan.name, pipelineHash: plan.runHash, seed: Int64(plan.seed),
                                             toolVersion: options.toolVersion, submissionID: options.submissionID)
        let runID = run.id!
        let leases = LeaseKeeper(lineage: store.lineage, lease: options.lease)
        defer { leases.stop() }
        // The run's own lease tells other machines it is alive while it only waits.
        _ = try leases.claim("run:\(runID)")
        events(.runStarted(runID: runID, pipeline: plan.name))
        let interruption = options.exitOnInterrupt ? InterruptHandler(lineage: store.lineage, runID: runID, leases: leases) : nil
        defer { interruption?.uninstall() }

        let summaries = schedule(runID: runID, leases: leases, interruption: interruption)
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
    /// plan order among those ready; a stage whose producer failed or was skipped is skipped. A stage
    /// whose key another process holds goes back in line and is looked at again after a pause that
    /// doubles up to `options.longestPoll`; meanwhile the other ready stages go first.
    private func schedule(runID: Int64, leases: LeaseKeeper, interruption: InterruptHandler?) -> [String: StageSummary] {
        let state = ScheduleState()
        var remaining = plan.stages
        let order = Dictionary(uniqueKeysWithValues: plan.stages.enumerated().map { ($1.name, $0) })
        state.condition.lock()
        while !remaining.isEmpty || state.running > 0 || !state.requeued.isEmpty {
            if !state.requeued.isEmpty {
                remaining.append(contentsOf: state.requeued)
                remaining.sort { order[$0.name]! < order[$1.name]! }
                state.requeued.removeAll()
            }
            var started = false
            var index = 0
            let now = Date()
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
                guard state.running < options.jobs, producers.allSatisfy({ state.outputs[$0] != nil }),
                      (state.waits[stage.name]?.next ?? now) <= now else {
                    index += 1
                    continue
                }
                remaining.remove(at: index)
                state.running += 1
                started = true
                let inputs = InputBinding.inputs(of: stage, outputs: state.outputs)
                let attempt = { self.execute(stage, inputs: inputs, runID: runID, leases: leases, interruption: interruption) }
                if options.jobs == 1 {
                    state.condition.unlock()
                    let result = attempt()
                    state.condition.lock()
                    finish(stage, result, state)
                } else {
                    DispatchQueue.global().async {
                        let result = attempt()
                        state.condition.lock()
                        self.finish(stage, result, state)
                        state.condition.signal()
                        state.condition.unlock()
                    }
                }
            }
            guard !started else { continue }
            // Nothing could start: wait for a running stage to end, or for the next look at a stage
            // another process computes, whichever comes first.
            let nextLook = remaining.compactMap { state.waits[$0.name]?.next }.min()
            if state.running > 0 {
                if let nextLook { _ = state.condition.wait(until: nextLook) } else { state.condition.wait() }
            } else if let nextLook {
                state.condition.unlock()
                Thread.sleep(until: nextLook)
                state.condition.lock()
            }
        }
        state.condition.unlock()
        return state.summaries
    }

    /// Books a stage's attempt: its result, or, when another process holds its key, when to look again.
    private func finish(_ stage: PlannedStage, _ attempt: StageAttempt, _ state: ScheduleState) {
        state.running -= 1
        switch attempt {
        case let .done(summary, outputs):
            state.summaries[stage.name] = summary
            state.outputs[stage.name] = outputs
            state.waits[stage.name] = nil
        case let .claimedElsewhere(holder, key):
            let pause = min(options.longestPoll, (state.waits[stage.name]?.pause ?? 0.125) * 2)
            if state.waits[stage.name] == nil {
                events(.message(stage: stage.name, text: "waiting for \(holder), which is computing it (key \(key.prefix(12)))"))
            }
            state.waits[stage.name] = (Date().addingTimeInterval(pause), pause)
            state.requeued.append(stage)
        case let .inputsUnusable(producers, hashes):
            // The producers go back in line (their cache lookup now finds the blob unusable, so they
            // compute), and the stage waits for their new outputs. Once only: a second time means
            // recomputing did not help.
            state.repairs[stage.name, default: 0] += 1
            guard state.repairs[stage.name]! <= Self.repairsPerStage else {
                let text = "its inputs \(hashes.joined(separator: ", ")) were unusable again after their producers "
                    + "\(producers.sorted().joined(separator: ", ")) computed them anew; run `tlab verify` on the store"
                state.summaries[stage.name] = StageSummary(name: stage.name, kind: stage.kind, key: nil, state: .failed(error: text), seconds: 0)
                events(.stageFailed(stage: stage.name, error: text))
                return
            }
            for producer in plan.stages where producers.contains(producer.name) && state.outputs[producer.name] != nil {
                state.outputs[producer.name] = nil
                state.summaries[producer.name] = nil
                state.requeued.append(producer)
            }
            state.requeued.append(stage)
        }
    }

    /// How often a stage may send its producers back to compute again within one run.
    static let repairsPerStage = 1

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
    /// Stages whose key another process holds: when to look again, and the pause before that.
    var waits: [String: (next: Date, pause: TimeInterval)] = [:]
    /// Stages handed back by attempts that found their key held or their inputs unusable, to go back in line.
    var requeued: [PlannedStage] = []
    /// Per stage, how often it sent its producers back to compute again.
    var repairs: [String: Int] = [:]
}
