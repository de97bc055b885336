// A whole classifier built from a ModelConfig: input stage, DenseNet backbone, head; freezing applied.

/// Input stage + DenseNet backbone + head; its description comes from its layers, and its freezing
/// from the description.
public final class Model: TrainableNetwork {
    public let architecture: ModelDescription
    public let backbone: DenseNet
    /// The head alone, trainable on cached backbone features.
    public let head: Head
    private let resize: Resize?

    /// Builds `config` with weights drawn from `seed`, describes it from its own layers (checking that
    /// the input survives every one), then freezes what `config.freezing` names.
    public init(_ config: ModelConfig, seed: UInt64) throws {
        guard config.inputShape.count == 3, config.inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidConfig(field: "inputShape", value: "\(config.inputShape)",
                                           expected: "[channels, height, width], all positive")
        }
        let random = CounterRandom(seed: seed)
        let backboneInput = try config.input.outputShape(for: config.inputShape)
        backbone = try DenseNet(config.backbone, inputChannels: backboneInput[0], random: random.stream(0))
        var table = LayerTable(shape: config.inputShape)
        try config.input.describe(into: &table)
        try backbone.describe(into: &table)
        head = try Head(config.head, featureShape: table.shape, random: random.stream(1))
        try head.describe(into: &table)
        architecture = try ModelDescription(config: config, rows: table.rows)
        resize = config.input.resize.map { Resize(name: "input.resize", height: $0.height, width: $0.width) }
        let frozen = Set(architecture.tensors.filter { $0.kind == .parameter(trainable: false) }.map(\.name))
        for p in parameters where frozen.contains(p.name) { p.trainable = false }
    }

    public var parameters: [Parameter] { backbone.layers.flatMap(\.parameters) + head.parameters }

    public var namedTensors: [(name: String, tensor: Tensor)] {
        layerTensors(backbone.layers) + head.namedTensors
    }

    public var batchNorms: [BatchNorm] { backbone.layers.compactMap { $0 as? BatchNorm } + head.batchNorms }

    /// Logits [N, classes] of images [N, C, H, W] (or the backbone's features without a head).
    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        // A wholly frozen backbone runs in inference mode anyway; saying so skips batch statistics.
        let features = backbone.forward(prepare(x), training: context.training && backbone.isTrainable,
                                        shards: context.shards)
        return head.forward(features, context: context)
    }

    public func backward(logitGradient: Tensor) {
        backbone.backward(head.backward(logitGradient))
    }

    /// The backbone's output for `images`, computed in inference mode `batchSize` images at a time:
    /// with a frozen backbone, the head's training data.
    public func features(for images: Tensor, batchSize: Int = 64) -> Tensor {
        let n = images.shape[0], imageShape = Array(images.shape.dropFirst())
        let out = Tensor(zeros: [n] + architecture.backboneOutputShape)
        let inPerImage = images.count / max(n, 1), outPerImage = out.count / max(n, 1)
        for start in stride(from: 0, to: n, by: batchSize) {
            let batch = Tensor(zeros: [min(batchSize, n - start)] + imageShape)
            batch.data.update(from: images.data + start * inPerImage, count: batch.count)
            let f = backbone.forward(prepare(batch), training: false)
            (out.data + start * outPerImage).update(from: f.data, count: f.count)
        }
        return out
    }

    /// Imports a torchvision/timm DenseNet state dict (see `TorchvisionWeights.convert`).
    public func loadTorchvision(_ stateDict: [String: Tensor]) throws {
        try load(TorchvisionWeights.convert(stateDict, for: architecture), partial: true)
    }

    /// The input stage: grayscale to RGB, resize, normalisation. It has no parameters, so it runs
    /// forward only.
    private func prepare(_ x: Tensor) -> Tensor {
        let stage = architecture.config.input
        var y = x
        if stage.grayscaleToRGB {
            let rgb = Tensor(zeros: [x.shape[0], 3, x.shape[2], x.shape[3]])
            let plane = x.shape[2] * x.shape[3]
            for n in 0..<x.shape[0] {
                for c in 0..<3 { rgb.images().channel(n, c).update(from: x.images().channel(n, 0), count: plane) }
            }
            y = rgb
        }
        if let resize { y = resize.forward(y, context: .inference) }
        if let normalization = stage.normalization {
            let scale = normalization.std.map { 1 / $0 }
            let shift = zip(normalization.mean, normalization.std).map { -$0 / $1 }
            let out = y === x ? Tensor(zeros: y.shape) : y
            batchNormApply(y.images(), scale: scale, shift: shift, relu: false, into: out.images())
            y = out
        }
        return y
    }
}

/// Per layer, its parameters then its buffers: the order of the model description.
func layerTensors(_ layers: [Layer]) -> [(name: String, tensor: Tensor)] {
    layers.flatMap { layer in
        layer.parameters.map { ($0.name, $0.value) } + layer.buffers.map { ($0.name, $0.value) }
    }
}
