// A worker: runs the submitted pipelines of a store, one after another, until none is left open.
// Several workers (a Slurm array, a Kubernetes Job's pods) share the stages of each pipeline through
// the claims every run takes, so the scheduler that starts them need know nothing of the pipeline.
import Foundation
import Store

/// Takes submitted pipelines (`PipelineStore.lineage.submit`) and runs each with an `Executor`.
public struct Worker {
    public let store: PipelineStore
    public let options: ExecutorOptions
    let events: ExecutionEventSink

    public init(store: PipelineStore, options: ExecutorOptions, events: @escaping ExecutionEventSink = { _ in }) {
        self.store = store
        self.options = options
        self.events = events
    }

    /// What one submission came to in this worker.
    public struct Outcome: Sendable {
        public let submission: Int64
        public let pipeline: String
        /// Nil when the plan could not be rebuilt (the error is in `problem`).
        public let run: RunSummary?
        public let problem: String?

        public var failed: Bool { run?.failed ?? true }
    }

    /// Runs every open submission once, oldest first, and returns how each went. A submission whose
    /// run fails is closed as failed, so the other workers stop taking it up; one that finishes is
    /// closed as finished. Throws only when the store cannot be read or a run cannot be recorded.
    public func run() throws -> [Outcome] {
        var seen = Set<Int64>()
        var outcomes: [Outcome] = []
        while let submission = try store.lineage.openSubmissions().first(where: { !seen.contains($0.id) }) {
            seen.insert(submission.id)
            let plan: PipelinePlan
            do {
                plan = try PipelinePlan(yaml: submission.fileText, file: submission.file, overrides: submission.overrides)
            } catch {
                try store.lineage.closeSubmission(submission.id, status: .failed)
                outcomes.append(Outcome(submission: submission.id, pipeline: submission.pipeline, run: nil,
                                        problem: "\(error)"))
                continue
            }
            var options = self.options
            options.submissionID = submission.id
            let summary = try Executor(plan: plan, store: store, options: options, events: events).run()
            try store.lineage.closeSubmission(submission.id, status: summary.failed ? .failed : .finished)
            outcomes.append(Outcome(submission: submission.id, pipeline: plan.name, run: summary, problem: nil))
        }
        return outcomes
    }
}
