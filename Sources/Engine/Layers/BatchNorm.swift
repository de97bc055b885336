// The BatchNorm layer over [N, C, H, W] or [N, F] inputs, with Keras and PyTorch conventions for
// the running statistics; the math is in BatchNormOps.swift.

/// How a BatchNorm layer keeps running statistics and stabilises its variance.
public struct BatchNormConvention: Equatable, Sendable {
    /// Fraction of the old running value kept per training step (Keras meaning):
    /// running = momentum·running + (1 − momentum)·batch. PyTorch's `momentum` m is 1 − m here.
    public var momentum: Float
    /// Added to the variance before the square root.
    public var epsilon: Float
    /// Whether the running variance takes the unbiased batch estimate (PyTorch) or the biased one
    /// (Keras). Normalisation itself always uses the biased batch variance, in both frameworks.
    public var unbiasedRunningVariance: Bool

    public init(momentum: Float, epsilon: Float, unbiasedRunningVariance: Bool) {
        self.momentum = momentum
        self.epsilon = epsilon
        self.unbiasedRunningVariance = unbiasedRunningVariance
    }

    /// Keras `BatchNormalization` defaults: momentum 0.99, ε 1e-3, biased running variance.
    public static let keras = BatchNormConvention(momentum: 0.99, epsilon: 1e-3, unbiasedRunningVariance: false)
    /// Keras `DenseNet121`'s layers: momentum 0.99, ε 1.001e-5.
    public static let kerasDenseNet = BatchNormConvention(momentum: 0.99, epsilon: 1.001e-5,
                                                          unbiasedRunningVariance: false)
    /// PyTorch `BatchNorm2d` defaults: momentum 0.1 (so 0.9 kept), ε 1e-5, unbiased running variance.
    public static let pytorch = BatchNormConvention(momentum: 0.9, epsilon: 1e-5, unbiasedRunningVariance: true)
}

/// Batch normalisation with learnable γ (`<name>.weight`, ones) and β (`<name>.bias`, zeros) and
/// running statistics (`<name>.running_mean`, zeros; `<name>.running_var`, ones), per channel of a
/// 4-D input or per feature of a 2-D one. Names follow PyTorch so imported weights map one to one.
///
/// Training mode normalises with batch statistics and updates the running ones; inference mode, and
/// a frozen layer in any mode (Keras `trainable=False`), uses the running statistics and leaves them.
///
/// Besides the `Layer` methods, `normalize(_:context:)` and `backward(dy:x:relu:dx:)` work on channel
/// views, for models that apply the per-channel scale and shift themselves (DenseNet packs
/// BN→ReLU into its convolutions' input and reads a prefix of a block buffer).
public final class BatchNorm: Layer {
    public let name: String
    public let convention: BatchNormConvention
    public let gamma: Parameter
    public let beta: Parameter
    public let runningMean: Buffer
    public let runningVariance: Buffer
    /// The last `normalize`'s map y = x·scale + shift, per channel.
    public let scale: Tensor
    public let shift: Tensor

    private var input: Tensor?
    private var usedBatchStatistics = false
    /// The last `normalize`'s sharded step, if any: backward then computes per shard.
    private var shards: ShardedBatch?
    /// Sums of per-batch statistics while precise statistics are collected; nil otherwise.
    private var collected: (mean: [Double], variance: [Double], batches: Int)?
    private let batchMean: Tensor
    private let batchVariance: Tensor

    public init(name: String, features: Int, convention: BatchNormConvention = .kerasDenseNet) {
        self.name = name
        self.convention = convention
        let ones = Tensor(zeros: [features])
        ones.fill(1)
        gamma = Parameter(name: "\(name).weight", value: ones)
        beta = Parameter(name: "\(name).bias", value: Tensor(zeros: [features]))
        runningMean = Buffer(name: "\(name).running_mean", value: Tensor(zeros: [features]))
        runningVariance = Buffer(name: "\(name).running_var", value: ones.clone())
        scale = Tensor(zeros: [features])
        shift = Tensor(zeros: [features])
        batchMean = Tensor(zeros: [features])
        batchVariance = Tensor(zeros: [features])
    }

    public var features: Int { gamma.value.count }

    /// Frozen: γ and β not trainable, and the layer runs in inference mode even while training.
    public var isFrozen: Bool {
        get { !gamma.trainable && !beta.trainable }
        set { gamma.trainable = !newValue; beta.trainable = !newValue }
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public var buffers: [Buffer] { [runningMean, runningVariance] }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    /// Sets `scale` and `shift` for normalising `x`: from its batch statistics while training (and
    /// then updates the running statistics), else from the running ones. `backward(dy:x:relu:dx:)`
    /// must see the same `x`.
    public func normalize(_ x: ImageView, context: ForwardContext) {
        precondition(x.channels == features, "\(name): \(features) channels, view has \(x.channels)")
        usedBatchStatistics = context.training && !isFrozen
        shards = context.shards
        if usedBatchStatistics, let shards {
            shardedBatchNormStatistics(x, shards: shards, mean: batchMean.data, variance: batchVariance.data)
            absorb(batchMean: batchMean.data, batchVariance: batchVariance.data, valuesPerChannel: shards.batch * x.plane)
        } else if usedBatchStatistics {
            batchNormStatistics(x, mean: batchMean.data, variance: batchVariance.data)
            absorb(batchMean: batchMean.data, batchVariance: batchVariance.data, valuesPerChannel: x.batch * x.plane)
        }
        let (mean, variance) = statistics
        batchNormScaleShift(channels: features, mean: mean.data, variance: variance.data,
                            gamma: gamma.value.data, beta: beta.value.data, epsilon: convention.epsilon,
                            scale: scale.data, shift: shift.data)
    }

    /// Takes a training forward's batch statistics (M values per channel): the running statistics move
    /// toward them by the convention's momentum, or, while collecting, they are added to the sums.
    public func absorb(batchMean: UnsafePointer<Float>, batchVariance: UnsafePointer<Float>, valuesPerChannel: Int) {
        guard var sums = collected else {
            return batchNormUpdateRunning(channels: features, batchMean: batchMean, batchVariance: batchVariance,
                                          batchCount: valuesPerChannel, momentum: convention.momentum,
                                          unbiasedVariance: convention.unbiasedRunningVariance,
                                          runningMean: runningMean.value.data, runningVariance: runningVariance.value.data)
        }
        collected = nil  // no copy-on-write of the sums while they change
        let correction = convention.unbiasedRunningVariance && valuesPerChannel > 1
            ? Double(valuesPerChannel) / Double(valuesPerChannel - 1) : 1
        for c in 0..<features {
            sums.mean[c] += Double(batchMean[c])
            sums.variance[c] += Double(batchVariance[c]) * correction
        }
        sums.batches += 1
        collected = sums
    }

    /// Starts collecting precise statistics: until `finishCollectingStatistics`, training forwards add
    /// their batch statistics to equal-weight sums and leave the running statistics alone.
    public func beginCollectingStatistics() {
        collected = ([Double](repeating: 0, count: features), [Double](repeating: 0, count: features), 0)
    }

    /// Ends collecting: the running mean and variance become the averages of the batches' means and
    /// variances (each batch weighing the same), or stay as they were when no batch was seen.
    public func finishCollectingStatistics() {
        guard let sums = collected else { return }
        collected = nil
        guard sums.batches > 0 else { return }
        for c in 0..<features {
            runningMean.value.data[c] = Float(sums.mean[c] / Double(sums.batches))
            runningVariance.value.data[c] = Float(sums.variance[c] / Double(sums.batches))
        }
    }

    /// Backward of the last `normalize` (followed by ReLU when `relu`), given `dy` for its output:
    /// adds into `dx` and into the gradients of γ and β unless frozen.
    public func backward(dy: ImageView, x: ImageView, relu: Bool, dx: ImageView) {
        let (mean, variance) = statistics
        if let shards {
            return shardedBatchNormBackward(dy: dy, x: x, mean: mean.data, variance: variance.data, gamma: gamma, beta: beta,
                                            epsilon: convention.epsilon, relu: relu, batchStatistics: usedBatchStatistics,
                                            dx: dx, accumulate: true, shards: shards, trainable: !isFrozen)
        }
        batchNormBackward(dy: dy, x: x, mean: mean.data, variance: variance.data,
                          gamma: gamma.value.data, beta: beta.value.data, epsilon: convention.epsilon,
                          relu: relu, batchStatistics: usedBatchStatistics, dx: dx,
                          dgamma: gamma.trainable ? gamma.grad.data : nil,
                          dbeta: beta.trainable ? beta.grad.data : nil)
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let view = channelView(x)
        input = x
        normalize(view, context: context)
        let y = Tensor(zeros: x.shape)
        batchNormApply(view, scale: scale.data, shift: shift.data, relu: false, into: channelView(y))
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: x.shape)
        backward(dy: channelView(dy), x: channelView(x), relu: false, dx: channelView(dx))
        return dx
    }

    /// The statistics the last `normalize` used.
    private var statistics: (mean: Tensor, variance: Tensor) {
        usedBatchStatistics ? (batchMean, batchVariance) : (runningMean.value, runningVariance.value)
    }

    /// A [N, F] input seen as N images of F channels of 1x1 pixels.
    private func channelView(_ t: Tensor) -> ImageView {
        precondition(t.shape.count == 4 || t.shape.count == 2, "\(name): expects [N, C, H, W] or [N, F], got \(t.shape)")
        if t.shape.count == 4 { return t.images() }
        return ImageView(data: t.data, batch: t.shape[0], channels: t.shape[1], height: 1, width: 1,
                         imageStride: t.shape[1])
    }
}
