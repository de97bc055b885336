// A model laid out layer by layer, as Keras's model.summary() sees it: names, output shapes and the
// tensors each layer owns. Summaries, freezing, weight files and the model object all follow it.

/// One tensor a layer owns, with its name in weight files.
public struct TensorDescription: Equatable, Sendable {
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

    /// Lays out `config`, checking that every field is valid and the input survives every layer.
    public init(_ config: ModelConfig) throws {
        self.config = config
        guard config.inputShape.count == 3, config.inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidConfig(field: "inputShape", value: "\(config.inputShape)",
                                           expected: "[channels, height, width], all positive")
        }
        try config.backbone.validate()
        var builder = LayerListBuilder(shape: config.inputShape)
        try builder.addInputStage(config.input)
        try builder.addBackbone(config.backbone)
        try builder.addHead(config.head)
        var layers = builder.layers
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

/// Appends layers one at a time, tracking the current output shape.
struct LayerListBuilder {
    private(set) var layers: [LayerDescription] = []
    private(set) var shape: [Int]
    private var part = LayerDescription.Part.input

    init(shape: [Int]) {
        self.shape = shape
    }

    private mutating func add(_ name: String, _ type: String, output: [Int],
                              tensors: [(String, [Int], TensorDescription.Kind)] = []) throws {
        guard output.allSatisfy({ $0 > 0 }) else { throw ModelError.inputTooSmall(shape: shape, layer: name) }
        let owned = tensors.map { TensorDescription(name: "\(name).\($0.0)", shape: $0.1, kind: $0.2) }
        layers.append(LayerDescription(name: name, type: type, outputShape: output, tensors: owned, part: part))
        shape = output
    }

    mutating func addInputStage(_ stage: InputStage) throws {
        let out = try stage.outputShape(for: shape)
        if stage.grayscaleToRGB { try add("input.grayscale", "GrayscaleToRGB", output: [3, shape[1], shape[2]]) }
        if let size = stage.resize { try add("input.resize", "Resize bilinear", output: [out[0], size.height, size.width]) }
        if stage.normalization != nil { try add("input.normalize", "Normalize", output: out) }
    }

    mutating func addBackbone(_ net: DenseNetConfig) throws {
        part = .backbone
        switch net.stem {
        case .imagenet:
            try zeroPad("features.pad0", 3)
            try conv("features.conv0", to: net.initialChannels, kernel: 7, stride: 2, padding: 0)
            try batchNorm("features.norm0")
            try relu("features.relu0")
            try zeroPad("features.pad1", 1)
            try pool("features.pool0", "MaxPool 3x3/2", window: 3, stride: 2)
        case .small:
            try conv("features.conv0", to: net.initialChannels, kernel: 3, stride: 1, padding: 1)
        }
        for (b, size) in net.blockSizes.enumerated() {
            let block = "features.denseblock\(b + 1)"
            for l in 1...size {
                let layer = "\(block).denselayer\(l)"
                let input = shape
                try batchNorm("\(layer).norm1")
                try relu("\(layer).relu1")
                try conv("\(layer).conv1", to: net.bottleneckChannels, kernel: 1, stride: 1, padding: 0)
                try batchNorm("\(layer).norm2")
                try relu("\(layer).relu2")
                try conv("\(layer).conv2", to: net.growthRate, kernel: 3, stride: 1, padding: 1)
                try add("\(layer).concat", "Concatenate", output: [input[0] + net.growthRate, input[1], input[2]])
            }
            if b < net.blockSizes.count - 1 {
                let transition = "features.transition\(b + 1)"
                try batchNorm("\(transition).norm")
                try relu("\(transition).relu")
                try conv("\(transition).conv", to: net.transitionChannels(shape[0]), kernel: 1, stride: 1, padding: 0)
                try pool("\(transition).pool", "AvgPool 2x2/2", window: 2, stride: 2)
            }
        }
        try batchNorm("features.norm5")
        try relu("features.relu5")
    }

    mutating func addHead(_ head: Head) throws {
        part = .head
        var counts: [String: Int] = [:]
        func numbered(_ kind: String) -> String {
            counts[kind, default: 0] += 1
            return "head.\(kind)\(counts[kind]!)"
        }
        for layer in head.layers {
            switch layer {
            case let .globalPool(pooling):
                guard shape.count == 3 else { throw misplaced("globalPool", "a [C, H, W] feature map") }
                try add(numbered("pool"), pooling == .max ? "GlobalMaxPool" : "GlobalAvgPool", output: [shape[0]])
            case .flatten:
                try add(numbered("flatten"), "Flatten", output: [shape.reduce(1, *)])
            case .batchNorm:
                guard shape.count == 1 else { throw misplaced("batchNorm", "a flat [F] input (flatten or pool first)") }
                try batchNorm(numbered("bn"))
            case let .dense(units, relu, _):
                guard shape.count == 1 else { throw misplaced("dense", "a flat [F] input (flatten or pool first)") }
                guard units > 0 else {
                    throw ModelError.invalidConfig(field: "head.dense.units", value: "\(units)", expected: "a positive integer")
                }
                try add(numbered("dense"), relu ? "Dense (relu)" : "Dense", output: [units],
                        tensors: [("weight", [units, shape[0]], .parameter(trainable: true)),
                                  ("bias", [units], .parameter(trainable: true))])
            case let .dropout(rate):
                guard rate >= 0 && rate < 1 else {
                    throw ModelError.invalidConfig(field: "head.dropout", value: "\(rate)", expected: "a rate in [0, 1)")
                }
                try add(numbered("dropout"), "Dropout \(rate)", output: shape)
            }
        }
    }

    private func misplaced(_ layer: String, _ needs: String) -> ModelError {
        .invalidConfig(field: "head.\(layer)", value: "on input \(shape)", expected: needs)
    }

    private mutating func conv(_ name: String, to channels: Int, kernel: Int, stride: Int, padding: Int) throws {
        let size = { ($0 + 2 * padding - kernel) / stride + 1 }
        guard shape[1] + 2 * padding >= kernel, shape[2] + 2 * padding >= kernel else {
            throw ModelError.inputTooSmall(shape: shape, layer: name)
        }
        try add(name, "Conv2D \(kernel)x\(kernel)/\(stride)", output: [channels, size(shape[1]), size(shape[2])],
                tensors: [("weight", [channels, shape[0], kernel, kernel], .parameter(trainable: true))])
    }

    private mutating func batchNorm(_ name: String) throws {
        let c = shape[0]
        try add(name, "BatchNorm", output: shape,
                tensors: [("weight", [c], .parameter(trainable: true)), ("bias", [c], .parameter(trainable: true)),
                          ("running_mean", [c], .buffer), ("running_var", [c], .buffer)])
    }

    private mutating func relu(_ name: String) throws { try add(name, "ReLU", output: shape) }

    private mutating func zeroPad(_ name: String, _ p: Int) throws {
        try add(name, "ZeroPadding \(p)", output: [shape[0], shape[1] + 2 * p, shape[2] + 2 * p])
    }

    private mutating func pool(_ name: String, _ type: String, window: Int, stride: Int) throws {
        let size = { ($0 - window) / stride + 1 }
        guard shape[1] >= window, shape[2] >= window else { throw ModelError.inputTooSmall(shape: shape, layer: name) }
        try add(name, type, output: [shape[0], size(shape[1]), size(shape[2])])
    }
}
