// The model a pipeline builds, described from stage parameters alone, without weights: `tlab model
// summary`. It reads its parameters through the stage schemas and builds through `ModelRecipe`, as
// the pretrain, freeze and fine-tune stages do, so the summary shows what a pipeline trains.
import Engine
import Yams

/// A model's layer table for parameters as a pipeline file spells them.
public struct ModelPreview: Sendable {
    /// The parameters it takes: pretrain's architecture (`model`, `depth`, `growth`, `blocks`,
    /// `compression`, `bottleneck`, `stem`, `input_size`), fine-tune's `head` and `pooling`, freeze's
    /// `freeze`. `head` also takes `none`: the backbone alone, as pretrain hands it on.
    public static let parameterNames = architectureNames + ["head", "pooling", "freeze"]

    private static let architectureNames = BackboneArchitecture.specs.map(\.name)

    /// One layer: its name, type, output shape per example, parameter and buffer count, and whether
    /// it is frozen.
    public struct Row: Sendable, Equatable {
        public let name: String
        public let type: String
        public let outputShape: [Int]
        public let parameters: Int
        public let frozen: Bool
    }

    public let rows: [Row]
    public let total: Int
    public let trainable: Int
    public var nonTrainable: Int { total - trainable }
    /// The Keras-like table with totals.
    public let rendered: String

    /// The model for images of `inputShape` ([C, H, W]) with a head predicting `classes`; a
    /// parameter not in `parameters` takes the default a pipeline file gives it.
    public init(parameters: [String: String], inputShape: [Int], classes: Int) throws {
        for name in parameters.keys where !Self.parameterNames.contains(name) {
            throw PipelineError.unknownField(.option(name), field: name, valid: Self.parameterNames)
        }
        let pretrain = try Self.resolve(.pretrain, Self.architectureNames, parameters).decoded(as: PretrainStage.Parameters.self)
        let fineTune = try Self.resolve(.fineTune, ["pooling"] + (parameters["head"] == "none" ? [] : ["head"]), parameters)
            .decoded(as: FineTuneStage.Parameters.self)
        let freeze = try Self.resolve(.freeze, ["freeze"], parameters).decoded(as: FreezeStage.Parameters.self)
        let head = parameters["head"] == "none" ? HeadPreset.none : fineTune.head
        let recipe = try ModelRecipe(pretrain.architecture, head: pretrain.head, pooling: pretrain.pooling, inputShape: inputShape,
                                     classes: classes, stage: "model")
            .with(head: head, pooling: fineTune.pooling, classes: classes, freezing: freeze.freeze)
        let summary = ModelSummary(try ModelDescription(recipe.config()))
        rows = summary.rows.map { Row(name: $0.name, type: $0.type, outputShape: $0.outputShape, parameters: $0.count,
                                      frozen: $0.isFrozen) }
        (total, trainable, rendered) = (summary.total, summary.trainable, summary.rendered())
    }

    /// A parameter's meaning and default, from the schema, for `--help`.
    public static func help(for name: String) -> String {
        let kind: StageKind = architectureNames.contains(name) ? .pretrain : name == "freeze" ? .freeze : .fineTune
        guard let spec = kind.schema.parameter(name) else { return name }
        let defaultText: String
        switch spec.defaultValue {
        case .value(let value): defaultText = "default: \(value)"
        case .pipelineSeed, .absent, .required: defaultText = "no default"
        }
        let values = name == "head" ? "\(spec.type), or none for the backbone alone" : spec.type.description
        return "\(spec.doc) (\(values); \(defaultText))"
    }

    /// Stage parameters of `kind`: the defaults, with `names` taken from `given` where present, each
    /// read exactly as a pipeline file's value.
    private static func resolve(_ kind: StageKind, _ names: [String], _ given: [String: String]) throws -> StageParameters {
        let schema = kind.schema
        var values: [String: ParameterValue] = [:]
        for name in names {
            guard let text = given[name], let spec = schema.parameter(name) else { continue }
            let node = (try? BoundedYAML.compose(yaml: text)).flatMap { $0 } ?? Node(text)
            values[name] = try spec.value(of: node, at: .option(name))
        }
        return StageParameters(kind: kind, values: schema.resolved(values, seed: 0))
    }
}
