// A model as an artifact can describe it: the backbone's architecture from pretrain's parameters,
// plus the head and freezing later stages choose; everything needed to rebuild the engine model.
import Engine
import Foundation

/// Everything that fixes a model's layers and tensor names, as JSON beside its weights.
struct ModelRecipe: Codable, Equatable {
    /// `densenet-bc` or `densenet-121`.
    var family: String
    var depth: Int
    var growth: Int
    var blocks: Int
    var compression: Double
    /// `small` or `imagenet`.
    var stem: String
    /// [C, H, W] of the images fed to the model.
    var inputShape: [Int]
    /// Bilinear resize inside the model; 0 keeps the data's size.
    var inputSize: Int
    /// Head preset (`linear`, `study-optimized`, `study-frozen`; `none` for a bare backbone).
    var head: String
    var pooling: String
    var classes: Int
    /// `none`, `backbone` or `up-to:<layer>`.
    var freezing: String

    /// The recipe of pretrain's backbone: `parameters` are a pretrain stage's.
    init(backbone parameters: StageParameters, inputShape: [Int], classes: Int, stage: String) throws {
        family = parameters.string("model")
        depth = parameters.int("depth")
        growth = parameters.int("growth")
        blocks = parameters.int("blocks")
        compression = parameters.double("compression")
        inputSize = parameters.int("input_size")
        self.inputShape = inputShape
        head = parameters.string("head")
        pooling = parameters.string("pooling")
        self.classes = classes
        freezing = "none"
        guard parameters.bool("bottleneck") else {
            throw StageError.unsupported(stage: stage, parameter: "bottleneck", value: "false",
                                         expected: "true (the engine builds DenseNet-BC with bottleneck layers)")
        }
        switch parameters.string("stem") {
        case "auto": stem = family == "densenet-121" || max(inputShape[1], inputSize) > 64 ? "imagenet" : "small"
        case let explicit: stem = explicit
        }
    }

    /// This recipe with another head and freezing.
    func with(head: String, pooling: String, classes: Int, freezing: String) -> ModelRecipe {
        var copy = self
        (copy.head, copy.pooling, copy.classes, copy.freezing) = (head, pooling, classes, freezing)
        return copy
    }

    /// The backbone without a head, nothing frozen.
    var backboneOnly: ModelRecipe { with(head: "none", pooling: "avg", classes: 0, freezing: "none") }

    /// The engine configuration.
    func config() throws -> ModelConfig {
        var backbone = family == "densenet-121" ? DenseNetConfig.densenet121
            : try DenseNetConfig.bc(depth: depth, growthRate: growth, blocks: blocks, compression: compression)
        backbone.stem = stem == "imagenet" ? .imagenet : .small
        let input = InputStage(resize: inputSize > 0 ? ImageSize(height: inputSize, width: inputSize) : nil)
        return ModelConfig(inputShape: inputShape, input: input, backbone: backbone,
                           head: try Head.preset(head == "linear" ? "linear-\(pooling)" : head, classes: classes),
                           freezing: Self.freezing(freezing))
    }

    /// A fresh model (weights drawn from `seed`).
    func model(seed: UInt64) throws -> Model {
        try Model(config(), seed: seed)
    }

    /// A pipeline's freezing (`none`, `backbone`, `up-to:<layer>`) as the engine takes it; an unknown
    /// layer is an error when the model is built.
    static func freezing(_ spec: String) -> Freezing {
        Freezing(spec.hasPrefix("up-to:") ? String(spec.dropFirst("up-to:".count)) : spec)
    }

    /// The head as the report shows it: "avg pool, Dense(5)".
    func headDescription() throws -> String {
        try config().head.layers.map { layer -> String in
            switch layer {
            case .globalPool(let pooling): return pooling == .max ? "max pool" : "avg pool"
            case .flatten: return "flatten"
            case .batchNorm: return "BN"
            case let .dense(units, relu, _): return relu ? "Dense(\(units), relu)" : "Dense(\(units))"
            case .dropout(let rate): return "Dropout(\(rate))"
            }
        }.joined(separator: ", ")
    }
}

/// The weights of the backbone only (tensors under `features.`): what pretrain hands on.
func backboneTensors(of model: Model) -> [(name: String, tensor: Tensor)] {
    model.namedTensors.filter { $0.name.hasPrefix("features.") }
}
