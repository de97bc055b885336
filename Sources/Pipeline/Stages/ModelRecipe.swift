// A model as an artifact can describe it: the backbone's architecture from pretrain's parameters,
// plus the head and freezing later stages choose; everything needed to rebuild the engine model.
import Engine
import Foundation

/// A backbone's architecture as pretrain's parameters give it (also read by `tlab model summary`).
struct BackboneArchitecture: ParameterGroup {
    let model: BackboneFamily
    let depth: Int
    let growth: Int
    let blocks: Int
    let compression: Double
    let bottleneck: Bool
    let stem: StemChoice
    let inputSize: Int

    static let specs = [
        ParameterSpec("model", .choice(BackboneFamily.allCases.map(\.rawValue)), .value(.string(BackboneFamily.denseNetBC.rawValue)),
                      "backbone family"),
        ParameterSpec("depth", .int(4...250), .value(.int(40)), "densenet-bc: total depth (3n·blocks + 4 with bottlenecks)"),
        ParameterSpec("growth", .int(1...256), .value(.int(12)), "densenet-bc: channels each dense layer adds"),
        ParameterSpec("blocks", .int(1...6), .value(.int(3)), "densenet-bc: number of dense blocks"),
        ParameterSpec("compression", .float(0.05...1), .value(.float(0.5)), "densenet-bc: channel share kept by transitions"),
        ParameterSpec("bottleneck", .bool, .value(.bool(true)), "densenet-bc: 1x1 bottleneck to 4·growth before each 3x3"),
        ParameterSpec("stem", .choice(StemChoice.allCases.map(\.rawValue)), .value(.string(StemChoice.auto.rawValue)),
                      "first layers: 3x3 conv (small), 7x7/2 conv + max pool (imagenet), or by input size"),
        ParameterSpec("input_size", .int(0...1024), .value(.int(0)), "bilinear resize inside the model (0: the data's size)"),
    ]
}

/// Everything that fixes a model's layers and tensor names, as JSON beside its weights.
struct ModelRecipe: Codable, Equatable {
    var family: BackboneFamily
    var depth: Int
    var growth: Int
    var blocks: Int
    var compression: Double
    /// `small` or `imagenet`: `auto` is resolved when the recipe is made.
    var stem: StemChoice
    /// [C, H, W] of the images fed to the model.
    var inputShape: [Int]
    /// Bilinear resize inside the model; 0 keeps the data's size.
    var inputSize: Int
    var head: HeadPreset
    var pooling: PoolingChoice
    var classes: Int
    var freezing: Freezing

    /// The recipe of a backbone of `architecture` with pretrain's temporary `head`.
    init(_ architecture: BackboneArchitecture, head: HeadPreset, pooling: PoolingChoice, inputShape: [Int], classes: Int,
         stage: String) throws {
        family = architecture.model
        depth = architecture.depth
        growth = architecture.growth
        blocks = architecture.blocks
        compression = architecture.compression
        inputSize = architecture.inputSize
        self.inputShape = inputShape
        self.head = head
        self.pooling = pooling
        self.classes = classes
        freezing = .none
        guard architecture.bottleneck else {
            throw StageError.unsupported(stage: stage, parameter: "bottleneck", value: "false",
                                         expected: "true (the engine builds DenseNet-BC with bottleneck layers)")
        }
        switch architecture.stem {
        case .auto: stem = family == .denseNet121 || max(inputShape[1], inputSize) > 64 ? .imagenet : .small
        case let explicit: stem = explicit
        }
    }

    /// This recipe with another head and freezing.
    func with(head: HeadPreset, pooling: PoolingChoice, classes: Int, freezing: Freezing) -> ModelRecipe {
        var copy = self
        (copy.head, copy.pooling, copy.classes, copy.freezing) = (head, pooling, classes, freezing)
        return copy
    }

    /// The backbone without a head, nothing frozen.
    var backboneOnly: ModelRecipe { with(head: .none, pooling: .avg, classes: 0, freezing: .none) }

    /// The engine configuration.
    func config() throws -> ModelConfig {
        var backbone = family == .denseNet121 ? DenseNetConfig.densenet121
            : try DenseNetConfig.bc(depth: depth, growthRate: growth, blocks: blocks, compression: compression)
        backbone.stem = stem == .imagenet ? .imagenet : .small
        let input = InputStage(resize: inputSize > 0 ? ImageSize(height: inputSize, width: inputSize) : nil)
        return ModelConfig(inputShape: inputShape, input: input, backbone: backbone,
                           head: head.head(classes: classes, pooling: pooling), freezing: freezing)
    }

    /// A fresh model (weights drawn from `seed`).
    func model(seed: UInt64) throws -> Model {
        try Model(config(), seed: seed)
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
