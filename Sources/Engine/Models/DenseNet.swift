// The DenseNet backbone: stem, dense blocks over preallocated block buffers, transitions, final
// BN-ReLU. Forward for training or inference, backward into weight gradients; frozen prefixes are
// skipped on the way back.

/// A DenseNet backbone (no head) with torchvision parameter names (`features.…`).
///
/// Every dense block has one buffer of its final width; a layer reads the channels written so far
/// and writes its new ones after them, so concatenation copies nothing. Every BatchNorm→ReLU is
/// applied inside the packing of the convolution that follows it.
public final class DenseNet {
    public let config: DenseNetConfig
    let stem: DenseNetStem
    let blocks: [[DenseLayer]]
    let transitions: [Transition]
    let finalNorm: FoldedBatchNorm
    /// The block buffers, the block gradients and backward's temporaries are kept across steps and
    /// reallocated only for another batch shape. `output` is the last training forward's, for backward.
    private var buffers: [StatisticsBuffer] = []
    private var gradients: [Tensor] = []
    private let scratch = BackwardScratch()
    private var output: Tensor?
    /// The last training forward's sharded step, for backward.
    private var shards: ShardedBatch?

    /// A backbone for images of `inputChannels` channels, weights drawn from `random`.
    public init(_ config: DenseNetConfig, inputChannels: Int, random: CounterRandom) throws {
        try config.validate()
        self.config = config
        stem = DenseNetStem(config, inputChannels: inputChannels, random: random.stream(0))
        var blocks: [[DenseLayer]] = [], transitions: [Transition] = []
        var channels = config.initialChannels
        for (b, size) in config.blockSizes.enumerated() {
            let blockRandom = random.stream(UInt64(b + 1))
            blocks.append((0..<size).map { l in
                DenseLayer(name: "features.denseblock\(b + 1).denselayer\(l + 1)",
                           inputChannels: channels + l * config.growthRate, config, random: blockRandom.stream(UInt64(l)))
            })
            channels += size * config.growthRate
            if b < config.blockSizes.count - 1 {
                transitions.append(Transition(name: "features.transition\(b + 1)", inputChannels: channels, config,
                                              random: blockRandom.stream(UInt64(size))))
                channels = config.transitionChannels(channels)
            }
        }
        self.blocks = blocks
        self.transitions = transitions
        finalNorm = FoldedBatchNorm(name: "features.norm5", channels: channels, convention: backboneConvention(config))
    }

    /// Units in forward order; a freezing spec freezes a prefix of them.
    var units: [BackboneUnit] {
        var out: [BackboneUnit] = [stem]
        for (b, block) in blocks.enumerated() {
            out += block as [BackboneUnit]
            if b < transitions.count { out.append(transitions[b]) }
        }
        return out + [FinalNorm(finalNorm)]
    }

    /// Whether any parameter trains (false when the whole backbone is frozen).
    public var isTrainable: Bool { units.contains(where: \.isTrainable) }

    /// The layers owning parameters and buffers, in the model description's order.
    var layers: [Layer] { units.flatMap(\.layers) }

    /// Appends the backbone's rows for inputs of `table.shape`.
    func describe(into table: inout LayerTable) throws {
        table.part = .backbone
        for unit in units { try unit.describe(into: &table) }
    }

    /// [N, C, H, W] shapes of the block buffers for inputs of `shape`.
    private func bufferShapes(for shape: [Int]) -> [[Int]] {
        let first = stem.outputShape(for: shape)
        var (height, width) = (first[2], first[3])
        var shapes: [[Int]] = []
        for (b, block) in blocks.enumerated() {
            let last = block.last!
            shapes.append([shape[0], last.inputChannels + last.conv2.outChannels, height, width])
            if b < transitions.count { (height, width) = transitions[b].outputSize(height: height, width: width) }
        }
        return shapes
    }

    /// ReLU(BN(features)) of `x` ([N, C, H, W]): the backbone's output, [N, channels, h, w].
    /// `training` uses batch statistics in every unfrozen BatchNorm, updates its running ones, and
    /// keeps the activations backward needs; an inference forward leaves nothing for backward.
    /// With `shards` (training only), `x` holds this process's shards' images and every batch statistic and
    /// weight gradient is computed per shard (see `ShardedBatch`).
    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, training: training, shards: nil) }

    func forward(_ x: Tensor, training: Bool, shards: ShardedBatch?) -> Tensor {
        let shards = training ? shards : nil
        self.shards = shards
        let shapes = bufferShapes(for: x.shape)
        // Every channel and statistic is rewritten below, so kept buffers need no clearing.
        if buffers.map(\.shape) != shapes { buffers = shapes.map(StatisticsBuffer.init(zeros:)) }
        stem.forward(x, into: buffers[0], training: training, shards: shards)
        for (b, block) in blocks.enumerated() {
            for layer in block { layer.forward(buffers[b], training: training, shards: shards) }
            if b < transitions.count {
                transitions[b].forward(buffers[b], into: buffers[b + 1], training: training, shards: shards)
            }
        }
        let last = buffers.last!
        last.prepare(finalNorm, training: training, shards: shards)
        let y = Tensor(zeros: last.values.shape)
        finalNorm.apply(last.values.images(), into: y.images())
        output = training ? y : nil
        return y
    }

    /// Adds weight gradients for `dy`, the gradient of the last forward's output. Units before the
    /// first trainable one are skipped: nothing in them would use a gradient.
    public func backward(_ dy: Tensor) {
        let units = self.units
        guard let firstTrainable = units.firstIndex(where: \.isTrainable) else { return }
        guard let y = output, dy.shape == y.shape else {
            preconditionFailure("DenseNet backward: gradient \(dy.shape) for output \(output?.shape ?? []) of a training forward")
        }
        let shapes = buffers.map(\.shape)
        if gradients.map(\.shape) != shapes { gradients = shapes.map(Tensor.init(zeros:)) }
        for gradient in gradients { gradient.fill(0) }  // every unit adds into them
        var index = units.count - 1
        /// Whether unit `index` must pass a gradient to its input, and whether it runs at all.
        func step() -> (runs: Bool, inputGradient: Bool) {
            defer { index -= 1 }
            return (index >= firstTrainable, index > firstTrainable)
        }
        let last = buffers.count - 1
        if step().runs {
            finalNorm.backward(dy: dy.images(), x: buffers[last].values.images(), dx: gradients[last].images())
        }
        for b in stride(from: blocks.count - 1, through: 0, by: -1) {
            for layer in blocks[b].reversed() {
                let (runs, inputGradient) = step()
                guard runs else { return }
                layer.backward(buffers[b], blockGradient: gradients[b], inputGradient: inputGradient, shards: shards,
                               scratch: scratch)
            }
            if b > 0 {
                let (runs, inputGradient) = step()
                guard runs else { return }
                transitions[b - 1].backward(buffers[b - 1], fromGradient: gradients[b - 1], nextGradient: gradients[b],
                                            inputGradient: inputGradient, shards: shards, scratch: scratch)
            }
        }
        if step().runs { stem.backward(blockGradient: gradients[0], shards: shards, scratch: scratch) }
    }
}

/// The final BN-ReLU as a unit, so freezing the whole backbone covers it.
private final class FinalNorm: BackboneUnit {
    let norm: FoldedBatchNorm
    init(_ norm: FoldedBatchNorm) { self.norm = norm }
    var layers: [Layer] { [norm.layer] }

    func describe(into table: inout LayerTable) throws {
        try table.batchNorm(norm.layer)
        try table.relu("features.relu5")
    }
}
