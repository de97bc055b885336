// A model laid out layer by layer, as Keras's model.summary() sees it: names, output shapes and the
// tensors each layer owns. The model's own layers describe themselves (LayerTable.swift), so names
// and shapes have one source; summaries, freezing and weight files follow the description.

/// One tensor a layer owns, with its name in weight files.
public struct TensorDescription: Equatable, Sendable {
    /// What an optimizer may do with the tensor.
    public enum Kind: Equatable, Sendable {
        /// Learnable; `trainable` is false when its layer is frozen.
        case parameter(trainable: Bool)
        /// Not learnable (BatchNorm running statistics).
        case buffer
    }

    public let name: String
    public let shape: [Int]
    public internal(set) var kind: Kind

    public var count: Int { shape.reduce(1, *) }
    public var isTrainable: Bool { kind == .parameter(trainable: true) }
}

/// One row of the layer table.
public struct LayerDescription: Equatable, Sendable {
    /// Which part of the model a layer belongs to.
    public enum Part: Equatable, Sendable { case input, backbone, head }

    /// Dotted path, e.g. `features.denseblock2.denselayer5.conv1`; parameter names extend it.
    public let name: String
    /// What the layer does, e.g. `Conv2D 3x3/1`.
    public let type: String
    /// Output shape of one example: [C, H, W] for feature maps, [F] for vectors.
    public let outputShape: [Int]
    public internal(set) var tensors: [TensorDescription]
    public let part: Part
    /// Frozen layers get no gradients; frozen BatchNorms run in inference mode.
    public internal(set) var isFrozen: Bool = false
}

/// The layers of a model built from a `ModelConfig`, in execution order.
public struct ModelDescription: Equatable, Sendable {
    public let config: ModelConfig
    public let layers: [LayerDescription]

    /// Lays out `config` by building its layers (with weights drawn from a fixed seed, then dropped)
    /// and letting them describe themselves; checks that every field is valid and the input survives
    /// every layer.
    public init(_ config: ModelConfig) throws {
        self = try Model(config, seed: 0).architecture
    }

    /// The description of `rows` with `config.freezing` applied.
    init(config: ModelConfig, rows: [LayerDescription]) throws {
        self.config = config
        var layers = rows
        try Self.freeze(&layers, config.freezing)
        self.layers = layers
    }

    /// Shape of one example's output: logits [classes], or the backbone's [C, H, W] without a head.
    public var outputShape: [Int] { layers.last!.outputShape }

    /// Shape of one example's backbone feature map.
    public var backboneOutputShape: [Int] { layers.last { $0.part == .backbone }!.outputShape }

    /// All tensors in layer order: parameters and buffers, as weight files hold them.
    public var tensors: [TensorDescription] { layers.flatMap(\.tensors) }

    /// Applies `freezing` to the backbone layers of `layers`.
    private static func freeze(_ layers: inout [LayerDescription], _ freezing: Freezing) throws {
        let backbone = layers.indices.filter { layers[$0].part == .backbone }
        let frozen: ArraySlice<Int>
        switch freezing {
        case .none: return
        case .backbone: frozen = backbone[...]
        case let .upTo(target):
            let path = target.hasPrefix("features") ? target : "features." + target
            guard let last = backbone.last(where: { layers[$0].name == path || layers[$0].name.hasPrefix(path + ".") })
            else {
                throw ModelError.unknownFreezeTarget(target, examples: ["conv0", "denseblock2", "transition2",
                                                                        "denseblock3.denselayer4", "features"])
            }
            frozen = backbone.prefix { $0 <= last }
        }
        for i in frozen {
            layers[i].isFrozen = true
            for t in layers[i].tensors.indices where layers[i].tensors[t].kind != .buffer {
                layers[i].tensors[t].kind = .parameter(trainable: false)
            }
        }
    }
}
