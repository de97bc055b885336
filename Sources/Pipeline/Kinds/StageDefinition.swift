// The contract each stage kind implements, in one file per kind: its parameters (typed, with their
// defaults and docs), its input ports, its traits, and `run`.
import Datasets

/// Everything about one stage kind. A stage must be a pure function of its parameters and inputs:
/// the executor reuses its outputs whenever the key (kind, `version`, engine version, keyed
/// parameters, input hashes) is one it has seen. Anything that legitimately differs between
/// identical runs (seconds, images per second) goes into `StageResult.metrics`, never into an artifact.
protocol StageDefinition {
    /// The parameters `run` takes, decoded from the resolved values (`ParameterDecoder`): each
    /// property is the parameter whose snake_case name is the property's name.
    associatedtype Parameters: Decodable

    static var kind: StageKind { get }
    /// Bumped whenever the stage's outputs for the same key would change, so no cached output of
    /// the old semantics is reused.
    static var version: Int { get }
    /// Every parameter with its type, default and doc: the one place defaults live.
    static var parameters: [ParameterSpec] { get }
    /// The named inputs and which kinds may feed them.
    static var ports: [PortSpec] { get }
    /// Parameters another parameter's value makes required.
    static var requirements: [Requirement] { get }
    static var traits: StageTraits { get }

    init()
    func run(_ parameters: Parameters, in context: StageContext) throws -> StageResult

    /// A fingerprint of content the stage reads from outside the store (local files), which goes
    /// into its key like a parameter; nil when it reads none or its parameters pin the content.
    static func externalContent(_ parameters: Parameters, stage: String, cache: FileHashCache) throws -> String?
}

/// What the planner and executor treat differently from kind to kind.
struct StageTraits: OptionSet, Sendable {
    let rawValue: Int
    /// Copied once per variant, with the stages after it (freeze, fine-tune, evaluate).
    static let perVariant = StageTraits(rawValue: 1 << 0)
    /// Copied once per seed, with the stages after it, when the pipeline has seeds and no `per_seed` list.
    static let perSeed = StageTraits(rawValue: 1 << 1)
    /// Trains, so writes checkpoints a crashed run resumes from.
    static let trains = StageTraits(rawValue: 1 << 2)
    /// Reads every copy of the stages it takes, and is never copied itself (the report).
    static let gathers = StageTraits(rawValue: 1 << 3)
    /// Copied once per pretraining seed, with the stages after it, when the pipeline has `pretrain_seeds`.
    static let perPretrainSeed = StageTraits(rawValue: 1 << 5)
    /// Its outputs hold measured times, so reproducing it compares figures, not bits.
    static let holdsTimings = StageTraits(rawValue: 1 << 4)
}

extension StageDefinition {
    static var requirements: [Requirement] { [] }
    static var traits: StageTraits { [] }
    static func externalContent(_ parameters: Parameters, stage: String, cache: FileHashCache) throws -> String? { nil }

    static var schema: StageSchema {
        StageSchema(kind: kind, parameters: parameters, ports: ports, requirements: requirements)
    }

    /// Decodes `parameters` as this kind's `Parameters`, throwing where they do not match.
    static func decodeParameters(_ parameters: StageParameters) throws {
        _ = try Parameters(from: ParameterDecoder(parameters: parameters))
    }

    /// Runs a stage of this kind in `context`.
    static func execute(in context: StageContext) throws -> StageResult {
        try Self().run(context.stage.parameters.decoded(as: Parameters.self), in: context)
    }

    /// The external-content fingerprint of `stage`, a stage of this kind.
    static func externalContent(of stage: PlannedStage, cache: FileHashCache) throws -> String? {
        try externalContent(stage.parameters.decoded(as: Parameters.self), stage: stage.name, cache: cache)
    }
}
