// What a finished run reports back, and what a dry run predicts, stage by stage.

/// How one stage of a run ended.
public struct StageSummary: Sendable, Equatable {
    /// Reused from the cache, computed, failed, or skipped because something upstream failed.
    public enum State: Sendable, Equatable {
        case hit
        case computed
        case failed(error: String)
        /// Not run because `upstream` failed or was itself skipped.
        case skipped(upstream: String)
    }

    public let name: String
    public let kind: StageKind
    /// The full key; nil for a skipped stage, whose inputs were never known.
    public let key: String?
    public let state: State
    public let seconds: Double
}

/// The outcome of `Executor.run()`.
public struct RunSummary: Sendable {
    public let runID: Int64
    /// In plan order.
    public let stages: [StageSummary]
    /// Files written under `ExecutorOptions.reportsDirectory`, sorted; empty when none was asked for
    /// or no report stage finished.
    public let reportFiles: [String]

    /// Whether any stage failed (and so the run did).
    public var failed: Bool {
        stages.contains { if case .failed = $0.state { return true } else { return false } }
    }

    public func stage(_ name: String) -> StageSummary? { stages.first { $0.name == name } }

    /// Names of the stages that computed, in plan order.
    public var computed: [String] { stages.filter { $0.state == .computed }.map(\.name) }
}

/// What `Executor.dryRun()` predicts for one stage.
public struct StagePreview: Sendable, Equatable {
    public let name: String
    public let kind: StageKind
    /// Nil when an upstream stage will run, so this stage's inputs (and key) are not known yet.
    public let key: String?
    /// True when the stage would be a cache hit.
    public let cached: Bool
    /// Why it would run (empty when cached): "never run", "parameter lr changed 0.001 → 0.0003", …
    public let reasons: [String]
    /// What the cached run recorded that the pipeline file does not say, such as the SHA-256 that
    /// weights fetched without one were pinned to.
    public var notes: [String] = []
}
