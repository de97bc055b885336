// The pieces of a DenseNet backbone with their forward and backward passes over shared block buffers:
// the stem, the dense (bottleneck) layer, the transition. Each BatchNorm→ReLU is folded into the
// convolution that reads it; concatenation is writing into the next channels of the block buffer.

/// What every backbone unit offers the backbone: its layers (owning parameters and buffers), and its
/// rows of the model description, named after those layers.
protocol BackboneUnit: AnyObject {
    var layers: [Layer] { get }
    /// Appends the unit's rows to `table`, whose shape is the unit's input.
    func describe(into table: inout LayerTable) throws
}

extension BackboneUnit {
    var parameters: [Parameter] { layers.flatMap(\.parameters) }
    /// Whether anything in the unit trains; freezing makes every parameter of a unit non-trainable.
    var isTrainable: Bool { parameters.contains { $0.trainable } }
}

/// Weight gradient of `conv` (if it trains), then back through `norm` (the BN-ReLU folded into its
/// input): γ and β gradients unless frozen, and the input gradient added into `inputGradient` when
/// one is wanted (or written there, without `accumulate`). Temporaries live in `scratch`'s norm slots.
/// When sharded, each local shard's weight gradient goes to its slot in `shards`.
private func convolutionBackward(_ conv: Conv2D, _ g: ConvGeometry, input: ImageView, norm: FoldedBatchNorm?,
                                 outputGradient dy: ImageView, inputGradient: ImageView?, accumulate: Bool = true,
                                 shards: ShardedBatch?, scratch: BackwardScratch) {
    if conv.weight.trainable, let shards {
        shards.forEachShard { k, images in
            convolutionBackwardWeights(g, input: input.images(images), inputTransform: norm?.transform,
                                       outputGradient: dy.images(images),
                                       weightGradient: shards.gradient(of: conv.weight, shard: k), biasGradient: nil)
        }
    } else if conv.weight.trainable {
        convolutionBackwardWeights(g, input: input, inputTransform: norm?.transform, outputGradient: dy,
                                   weightGradient: conv.weight.grad.data, biasGradient: nil)
    }
    /// The data gradient into `dx`, per shard when sharded so no image's result depends on the others'.
    func backwardData(into dx: ImageView, accumulate: Bool) {
        forEachImageRange(shards, batch: dy.batch) { images in
            convolutionBackwardData(g, outputGradient: dy.images(images), weights: conv.weight.value.data,
                                    inputGradient: dx.images(images), accumulate: accumulate)
        }
    }
    guard let norm else {
        if let dx = inputGradient { backwardData(into: dx, accumulate: accumulate) }
        return
    }
    guard inputGradient != nil || !norm.isFrozen else { return }
    let shape = [input.batch, input.channels, input.height, input.width]
    // Overwritten whole by the data backward, so not cleared.
    let dTransformed = scratch.images(.normOutput, shape: shape, zeroed: false)
    backwardData(into: dTransformed, accumulate: false)
    // No input gradient wanted, but the BN backward still yields γ and β: its dx goes to scratch.
    norm.backward(dy: dTransformed, x: input, dx: inputGradient ?? scratch.images(.normInput, shape: shape, zeroed: false),
                  accumulate: inputGradient != nil && accumulate)
}

/// The layers before the first block: 7x7/2 conv → BN → ReLU → 3x3/2 max pool (ImageNet), or one
/// 3x3 conv (small inputs). Writes channels `0..<initialChannels` of the first block buffer.
final class DenseNetStem: BackboneUnit {
    let conv: Conv2D
    let norm: FoldedBatchNorm?
    let pool = PoolWindow(kernel: 3, stride: 2, padding: Padding2D(1))
    private var input: Tensor?
    /// Kept across forwards (reallocated for another batch shape); backward reads them only after a
    /// training forward, which `input` marks.
    private var convolved: StatisticsBuffer?
    private var activated: Tensor?
    private var argmax: [Int32] = []

    init(_ config: DenseNetConfig, inputChannels: Int, random: CounterRandom) {
        let imagenet = config.stem == .imagenet
        conv = Conv2D(name: "features.conv0", inChannels: inputChannels, outChannels: config.initialChannels,
                      kernelSize: imagenet ? 7 : 3, stride: imagenet ? 2 : 1, padding: .symmetric(imagenet ? 3 : 1),
                      initializer: config.convolutionInit, random: random)
        norm = imagenet ? FoldedBatchNorm(name: "features.norm0", channels: config.initialChannels,
                                          convention: backboneConvention(config)) : nil
    }

    var layers: [Layer] { [conv] + (norm.map { [$0.layer] } ?? []) }

    /// Keras's rows: the ImageNet stem pads explicitly before its convolution and its pool.
    func describe(into table: inout LayerTable) throws {
        guard let norm else { return try table.convolution(conv) }
        guard case .symmetric(let p) = conv.padding else { preconditionFailure("the ImageNet stem pads symmetrically") }
        try table.zeroPadding("features.pad0", p)
        try table.convolution(conv, padding: 0)
        try table.batchNorm(norm.layer)
        try table.relu("features.relu0")
        try table.zeroPadding("features.pad1", pool.padding.top)
        try table.pool("features.pool0", "MaxPool", pool)
    }

    /// Output [N, C, H, W] of `x` through the stem.
    func outputShape(for shape: [Int]) -> [Int] {
        let g = conv.geometry(for: shape)
        guard norm != nil else { return [shape[0], conv.outChannels, g.outputHeight, g.outputWidth] }
        let pooled = pool.outputSize(height: g.outputHeight, width: g.outputWidth)
        return [shape[0], conv.outChannels, pooled.height, pooled.width]
    }

    /// Keeps what backward needs only when `training`.
    func forward(_ x: Tensor, into block: StatisticsBuffer, training: Bool, shards: ShardedBatch?) {
        input = training ? x : nil
        let g = conv.geometry(for: x.shape), channels = 0..<conv.outChannels
        guard let norm else {
            block.write(channels, training: training, shards: shards) { images, moments in
                convolutionForward(g, input: x.images().images(images), weights: conv.weight.value.data, bias: nil,
                                   output: block.channels(channels).images(images), outputMoments: moments)
            }
            return
        }
        let s = reusing(convolved, shape: [x.shape[0], conv.outChannels, g.outputHeight, g.outputWidth])
        s.write(channels, training: training, shards: shards) { images, moments in
            convolutionForward(g, input: x.images().images(images), weights: conv.weight.value.data, bias: nil,
                               output: s.channels(channels).images(images), outputMoments: moments)
        }
        s.prepare(norm, training: training, shards: shards)
        let r = reusing(activated, shape: s.values.shape)
        norm.apply(s.channels(channels), into: r.images())
        let out = block.channels(channels)
        if argmax.count != out.batch * out.channels * out.plane {
            argmax = [Int32](repeating: 0, count: out.batch * out.channels * out.plane)
        }
        argmax.withUnsafeMutableBufferPointer { maxPoolForward(r.images(), window: pool, y: out, argmax: $0.baseAddress!) }
        if training { block.updateStatistics(channels, shards: shards) }
        (convolved, activated) = (s, r)
    }

    /// Weight gradients from the gradient of the block buffer's first channels.
    func backward(blockGradient: Tensor, shards: ShardedBatch?, scratch: BackwardScratch) {
        guard let x = input else { preconditionFailure("features.conv0: backward without a training forward") }
        let g = conv.geometry(for: x.shape), dOut = blockGradient.images(channels: 0..<conv.outChannels)
        guard let norm else {
            convolutionBackward(conv, g, input: x.images(), norm: nil, outputGradient: dOut, inputGradient: nil,
                                shards: shards, scratch: scratch)
            return
        }
        guard let s = convolved, let r = activated else { preconditionFailure("features.norm0: no training forward") }
        // `dr` is added into by the pool's backward; `ds` is written whole by the norm's.
        let dr = scratch.images(.normOutput, shape: r.shape, zeroed: true)
        let ds = scratch.images(.normInput, shape: r.shape, zeroed: false)
        argmax.withUnsafeBufferPointer { maxPoolBackward(dy: dOut, argmax: $0.baseAddress!, dx: dr) }
        norm.backward(dy: dr, x: s.values.images(), dx: ds, accumulate: false)
        convolutionBackward(conv, g, input: x.images(), norm: nil, outputGradient: ds, inputGradient: nil,
                            shards: shards, scratch: scratch)
    }
}

/// One bottleneck layer: BN-ReLU-1x1 conv to the bottleneck width, BN-ReLU-3x3 conv to `growthRate`
/// new channels, written after its `inputChannels` in the block buffer.
final class DenseLayer: BackboneUnit {
    let name: String
    let inputChannels: Int
    let norm1: FoldedBatchNorm, conv1: Conv2D, norm2: FoldedBatchNorm, conv2: Conv2D
    /// Kept across forwards (reallocated for another batch shape); backward reads it only after a
    /// training forward.
    private var bottleneck: StatisticsBuffer?
    private var trainedForward = false

    init(name: String, inputChannels: Int, _ config: DenseNetConfig, random: CounterRandom) {
        self.name = name
        self.inputChannels = inputChannels
        let convention = backboneConvention(config), initializer = config.convolutionInit
        norm1 = FoldedBatchNorm(name: "\(name).norm1", channels: inputChannels, convention: convention)
        conv1 = Conv2D(name: "\(name).conv1", inChannels: inputChannels, outChannels: config.bottleneckChannels,
                       kernelSize: 1, padding: .valid, initializer: initializer, random: random.stream(0))
        norm2 = FoldedBatchNorm(name: "\(name).norm2", channels: config.bottleneckChannels, convention: convention)
        conv2 = Conv2D(name: "\(name).conv2", inChannels: config.bottleneckChannels, outChannels: config.growthRate,
                       kernelSize: 3, padding: .symmetric(1), initializer: initializer, random: random.stream(1))
    }

    var layers: [Layer] { [norm1.layer, conv1, norm2.layer, conv2] }

    func describe(into table: inout LayerTable) throws {
        let input = table.shape
        try table.batchNorm(norm1.layer)
        try table.relu("\(name).relu1")
        try table.convolution(conv1)
        try table.batchNorm(norm2.layer)
        try table.relu("\(name).relu2")
        try table.convolution(conv2)
        try table.add("\(name).concat", "Concatenate", output: [input[0] + conv2.outChannels, input[1], input[2]])
    }

    private var newChannels: Range<Int> { inputChannels..<(inputChannels + conv2.outChannels) }

    func forward(_ block: StatisticsBuffer, training: Bool, shards: ShardedBatch?) {
        let x = block.channels(0..<inputChannels)
        block.prepare(norm1, training: training, shards: shards)
        let g1 = conv1.geometry(for: [x.batch, x.channels, x.height, x.width])
        let t = reusing(bottleneck, shape: [x.batch, conv1.outChannels, x.height, x.width])
        t.write(0..<conv1.outChannels, training: training, shards: shards) { images, moments in
            convolutionForward(g1, input: x.images(images), weights: conv1.weight.value.data, bias: nil,
                               inputTransform: norm1.transform, output: t.channels(0..<conv1.outChannels).images(images),
                               outputMoments: moments)
        }
        t.prepare(norm2, training: training, shards: shards)
        let g2 = conv2.geometry(for: t.values.shape)
        block.write(newChannels, training: training, shards: shards) { images, moments in
            convolutionForward(g2, input: t.values.images().images(images), weights: conv2.weight.value.data, bias: nil,
                               inputTransform: norm2.transform, output: block.channels(newChannels).images(images),
                               outputMoments: moments)
        }
        (bottleneck, trainedForward) = (t, training)
    }

    /// Weight gradients from the (complete) gradient of this layer's new channels in `blockGradient`;
    /// with `inputGradient`, adds the gradient for its input channels into `blockGradient`.
    func backward(_ block: StatisticsBuffer, blockGradient: Tensor, inputGradient: Bool, shards: ShardedBatch?,
                  scratch: BackwardScratch) {
        guard let t = bottleneck, trainedForward else {
            preconditionFailure("\(conv1.name): backward without a training forward")
        }
        let x = block.channels(0..<inputChannels)
        // Written whole by norm2's backward.
        let dt = scratch.images(.inner, shape: t.values.shape, zeroed: false)
        convolutionBackward(conv2, conv2.geometry(for: t.values.shape), input: t.values.images(), norm: norm2,
                            outputGradient: blockGradient.images(channels: newChannels), inputGradient: dt,
                            accumulate: false, shards: shards, scratch: scratch)
        convolutionBackward(conv1, conv1.geometry(for: [x.batch, x.channels, x.height, x.width]), input: x,
                            norm: norm1, outputGradient: dt,
                            inputGradient: inputGradient ? blockGradient.images(channels: 0..<inputChannels) : nil,
                            shards: shards, scratch: scratch)
    }
}

/// Between blocks: BN-ReLU-1x1 conv to the compressed width, then 2x2/2 average pool into the first
/// channels of the next block buffer.
final class Transition: BackboneUnit {
    let name: String
    let norm: FoldedBatchNorm, conv: Conv2D
    let pool = PoolWindow(kernel: 2, stride: 2)
    /// Kept across forwards (reallocated for another batch shape); backward reads it only after a
    /// training forward.
    private var convolved: Tensor?
    private var trainedForward = false

    init(name: String, inputChannels: Int, _ config: DenseNetConfig, random: CounterRandom) {
        self.name = name
        norm = FoldedBatchNorm(name: "\(name).norm", channels: inputChannels, convention: backboneConvention(config))
        conv = Conv2D(name: "\(name).conv", inChannels: inputChannels,
                      outChannels: config.transitionChannels(inputChannels), kernelSize: 1, padding: .valid,
                      initializer: config.convolutionInit, random: random)
    }

    var layers: [Layer] { [norm.layer, conv] }

    func describe(into table: inout LayerTable) throws {
        try table.batchNorm(norm.layer)
        try table.relu("\(name).relu")
        try table.convolution(conv)
        try table.pool("\(name).pool", "AvgPool", pool)
    }

    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) { pool.outputSize(height: height, width: width) }

    func forward(_ from: StatisticsBuffer, into next: StatisticsBuffer, training: Bool, shards: ShardedBatch?) {
        from.prepare(norm, training: training, shards: shards)
        let g = conv.geometry(for: from.values.shape)
        let c = reusing(convolved, shape: [from.values.shape[0], conv.outChannels, g.outputHeight, g.outputWidth])
        forEachImageRange(shards, batch: c.shape[0]) { images in
            convolutionForward(g, input: from.values.images().images(images), weights: conv.weight.value.data, bias: nil,
                               inputTransform: norm.transform, output: c.images().images(images))
        }
        averagePoolForward(c.images(), window: pool, y: next.channels(0..<conv.outChannels))
        if training { next.updateStatistics(0..<conv.outChannels, shards: shards) }
        (convolved, trainedForward) = (c, training)
    }

    func backward(_ from: StatisticsBuffer, fromGradient: Tensor, nextGradient: Tensor, inputGradient: Bool,
                  shards: ShardedBatch?, scratch: BackwardScratch) {
        guard let c = convolved, trainedForward else {
            preconditionFailure("\(conv.name): backward without a training forward")
        }
        // Added into by the pool's backward.
        let dc = scratch.images(.inner, shape: c.shape, zeroed: true)
        averagePoolBackward(dy: nextGradient.images(channels: 0..<conv.outChannels), window: pool, dx: dc)
        convolutionBackward(conv, conv.geometry(for: from.values.shape), input: from.values.images(), norm: norm,
                            outputGradient: dc, inputGradient: inputGradient ? fromGradient.images() : nil,
                            shards: shards, scratch: scratch)
    }
}

/// BatchNorm convention of the backbone: Keras's biased running variance, the config's ε and momentum.
func backboneConvention(_ config: DenseNetConfig) -> BatchNormConvention {
    BatchNormConvention(momentum: config.batchNormMomentum, epsilon: config.batchNormEpsilon,
                        unbiasedRunningVariance: false)
}

