// A whole classifier built from a ModelConfig: input stage, DenseNet backbone, head; freezing applied.

/// Input stage + DenseNet backbone + head, with parameter names and freezing from its description.
public final class Model: TrainableNetwork {
    public let architecture: ModelDescription
    public let backbone: DenseNet
    /// The head alone, trainable on cached backbone features.
    public let head: ModelHead
    private let resize: Resize?

    /// Builds `config` with weights drawn from `seed`, then freezes what `config.freezing` names.
    public init(_ config: ModelConfig, seed: UInt64) throws {
        architecture = try ModelDescription(config)
        let random = CounterRandom(seed: seed)
        let backboneInput = try config.input.outputShape(for: config.inputShape)
        backbone = try DenseNet(config.backbone, inputChannels: backboneInput[0], random: random.stream(0))
        head = ModelHead(config.head, featureShape: architecture.backboneOutputShape, random: random.stream(1))
        resize = config.input.resize.map { Resize(name: "input.resize", height: $0.height, width: $0.width) }
        let frozen = Set(architecture.tensors.filter { $0.kind == .parameter(trainable: false) }.map(\.name))
        for p in parameters where frozen.contains(p.name) { p.trainable = false }
        let names = namedTensors.map(\.name), expected = architecture.tensors.map(\.name)
        precondition(names == expected, "model tensors do not follow the description: \(names.count) vs \(expected.count)")
    }

    public var parameters: [Parameter] { backbone.layers.flatMap(\.parameters) + head.parameters }

    public var namedTensors: [(name: String, tensor: Tensor)] {
        layerTensors(backbone.layers) + head.namedTensors
    }

    public var batchNorms: [BatchNorm] { backbone.layers.compactMap { $0 as? BatchNorm } + head.batchNorms }

    /// Logits [N, classes] of images [N, C, H, W] (or the backbone's features without a head).
    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        // A wholly frozen backbone runs in inference mode anyway; saying so skips batch statistics.
        let features = backbone.forward(prepare(x), training: context.training && backbone.isTrainable)
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

/// The head as a network of its own: trains on features [N, C, H, W] as the backbone emits them.
public final class ModelHead: TrainableNetwork {
    let layers: [Layer]

    init(_ head: Head, featureShape: [Int], random: CounterRandom) {
        var layers: [Layer] = [], counts: [String: Int] = [:]
        var features = featureShape.reduce(1, *)
        func name(_ kind: String) -> String {
            counts[kind, default: 0] += 1
            return "head.\(kind)\(counts[kind]!)"
        }
        for (i, spec) in head.layers.enumerated() {
            let stream = random.stream(UInt64(i))
            switch spec {
            case let .globalPool(pooling):
                layers.append(GlobalPool(name: name("pool"), reduction: pooling == .max ? .max : .average))
                features = featureShape[0]
            case .flatten:
                layers.append(Flatten(name: name("flatten")))
            case .batchNorm:
                layers.append(BatchNorm(name: name("bn"), features: features, convention: .keras))
            case let .dense(units, relu, initializer):
                let dense = Dense(name: name("dense"), inputs: features, outputs: units,
                                  initializer: initializer == .heNormal ? .heNormal : .glorotUniform, random: stream)
                layers.append(dense)
                if relu { layers.append(ReLU(name: dense.name + ".relu")) }
                features = units
            case let .dropout(rate):
                layers.append(Dropout(name: name("dropout"), rate: rate, random: stream))
            }
        }
        self.layers = layers
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var namedTensors: [(name: String, tensor: Tensor)] { layerTensors(layers) }
    public var batchNorms: [BatchNorm] { layers.compactMap { $0 as? BatchNorm } }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        layers.reduce(x) { $1.forward($0, context: context) }
    }

    public func backward(logitGradient: Tensor) { _ = backward(logitGradient) }

    /// The gradient for the head's input (the backbone's output).
    func backward(_ dy: Tensor) -> Tensor {
        layers.reversed().reduce(dy) { $1.backward($0) }
    }
}

/// Per layer, its parameters then its buffers: the order of the model description.
func layerTensors(_ layers: [Layer]) -> [(name: String, tensor: Tensor)] {
    layers.flatMap { layer in
        layer.parameters.map { ($0.name, $0.value) } + layer.buffers.map { ($0.name, $0.value) }
    }
}
