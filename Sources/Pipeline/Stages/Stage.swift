// The contract each of the eight stage kinds implements, and which implementation serves which kind.

/// One stage kind's implementation: turns a context (parameters, input artifacts, progress sink)
/// into named outputs. A stage must be a pure function of its parameters and inputs: the executor
/// reuses its outputs whenever the key (kind, `version`, engine version, parameters, input hashes)
/// is one it has seen. Anything that legitimately differs between identical runs (seconds, images
/// per second) goes into `StageResult.metrics`, never into an artifact.
protocol Stage {
    static var kind: StageKind { get }
    /// Bumped whenever the stage's outputs for the same key would change, so no cached output of
    /// the old semantics is reused. The single source of `StageKind.version`.
    static var version: Int { get }
    init()
    func run(_ context: StageContext) throws -> StageResult
}

extension StageKind {
    /// The implementation of this kind.
    var implementation: Stage.Type {
        switch self {
        case .download: return DownloadStage.self
        case .preprocess: return PreprocessStage.self
        case .pretrain: return PretrainStage.self
        case .freeze: return FreezeStage.self
        case .finetune: return FineTuneStage.self
        case .evaluate: return EvaluateStage.self
        case .export: return ExportStage.self
        case .report: return ReportStage.self
        }
    }

    /// Whether stage runs of this kind train and so write checkpoints a crashed run resumes from.
    var trains: Bool { self == .pretrain || self == .finetune }
}
