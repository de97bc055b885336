// A BatchNorm→ReLU that never materialises its output: the next convolution applies it while packing
// its input, and the backward recomputes the ReLU mask from the same scale and shift.

/// One BatchNorm layer of the backbone folded into the convolution after it.
///
/// Holds the `BatchNorm` (its γ, β and running statistics, named as in weight files) and what the
/// last forward used: the per-channel scale and shift, and whether they came from batch statistics
/// (training, not frozen) or the running ones (inference, or frozen as with Keras `trainable=False`).
final class FoldedBatchNorm {
    let layer: BatchNorm
    let scale: Tensor
    let shift: Tensor
    private(set) var usedBatchStatistics = false
    private var mean: UnsafePointer<Float>
    private var variance: UnsafePointer<Float>
    /// Keeps the batch statistics `mean`/`variance` point into alive until the next forward.
    private var statisticsOwner: AnyObject?
    /// The last `prepare`'s sharded step, if any: backward then computes per shard.
    private var shards: ShardedBatch?

    init(name: String, channels: Int, convention: BatchNormConvention) {
        layer = BatchNorm(name: name, features: channels, convention: convention)
        scale = Tensor(zeros: [channels])
        shift = Tensor(zeros: [channels])
        mean = UnsafePointer(layer.runningMean.value.data)
        variance = UnsafePointer(layer.runningVariance.value.data)
    }

    var channels: Int { scale.count }
    var isFrozen: Bool { layer.isFrozen }
    var transform: ConvInputTransform { ConvInputTransform(scale: scale.data, shift: shift.data) }

    /// Fixes scale and shift for a forward over an input whose per-channel batch statistics are at
    /// `batchMean`/`batchVariance` (owned by `owner`; may be nil outside training). In training mode an
    /// unfrozen layer normalises with them and hands them to its layer's running statistics.
    func prepare(training: Bool, batchMean: UnsafePointer<Float>?, batchVariance: UnsafePointer<Float>?,
                 valuesPerChannel: Int, owner: AnyObject?, shards: ShardedBatch? = nil) {
        usedBatchStatistics = training && !isFrozen
        self.shards = training ? shards : nil
        if usedBatchStatistics {
            guard let batchMean, let batchVariance else {
                preconditionFailure("\(layer.name): training forward without batch statistics")
            }
            mean = batchMean
            variance = batchVariance
            statisticsOwner = owner
            layer.absorb(batchMean: batchMean, batchVariance: batchVariance, valuesPerChannel: valuesPerChannel)
        } else {
            mean = UnsafePointer(layer.runningMean.value.data)
            variance = UnsafePointer(layer.runningVariance.value.data)
            statisticsOwner = nil
        }
        batchNormScaleShift(channels: channels, mean: mean, variance: variance, gamma: layer.gamma.value.data,
                            beta: layer.beta.value.data, epsilon: layer.convention.epsilon,
                            scale: scale.data, shift: shift.data)
    }

    /// Writes ReLU(BN(x)) into `y` (the stem and the final norm, whose outputs are needed as such).
    func apply(_ x: ImageView, into y: ImageView) {
        batchNormApply(x, scale: scale.data, shift: shift.data, relu: true, into: y)
    }

    /// Adds into `dx` (or writes it, without `accumulate`) the gradient for the forward's input `x`,
    /// given `dy` for ReLU(BN(x)); adds γ and β gradients unless frozen.
    func backward(dy: ImageView, x: ImageView, dx: ImageView, accumulate: Bool = true) {
        let trainable = !isFrozen
        if let shards {
            return shardedBatchNormBackward(dy: dy, x: x, mean: mean, variance: variance, gamma: layer.gamma,
                                            beta: layer.beta, epsilon: layer.convention.epsilon, relu: true,
                                            batchStatistics: usedBatchStatistics, dx: dx, accumulate: accumulate,
                                            shards: shards, trainable: trainable)
        }
        batchNormBackward(dy: dy, x: x, mean: mean, variance: variance, gamma: layer.gamma.value.data,
                          beta: layer.beta.value.data, epsilon: layer.convention.epsilon, relu: true,
                          batchStatistics: usedBatchStatistics, dx: dx, accumulate: accumulate,
                          dgamma: trainable ? layer.gamma.grad.data : nil,
                          dbeta: trainable ? layer.beta.grad.data : nil)
    }
}

/// A batch of images plus the per-channel batch statistics of the channels written so far: a dense
/// block's buffer, whose channels are normalised again by every later layer, so their statistics are
/// computed once, when written.
final class StatisticsBuffer: ShapedStorage {
    let values: Tensor
    let mean: Tensor
    let variance: Tensor

    init(zeros shape: [Int]) {
        values = Tensor(zeros: shape)
        mean = Tensor(zeros: [shape[1]])
        variance = Tensor(zeros: [shape[1]])
    }

    var shape: [Int] { values.shape }

    var valuesPerChannel: Int { values.shape[0] * values.shape[2] * values.shape[3] }

    func channels(_ range: Range<Int>) -> ImageView { values.images(channels: range) }

    /// Computes the statistics of channels `range` (after they were written), over all shards when sharded.
    func updateStatistics(_ range: Range<Int>, shards: ShardedBatch?) {
        if let shards {
            return shardedBatchNormStatistics(values.images(channels: range), shards: shards,
                                              mean: mean.data + range.lowerBound, variance: variance.data + range.lowerBound)
        }
        batchNormStatistics(values.images(channels: range), mean: mean.data + range.lowerBound,
                            variance: variance.data + range.lowerBound)
    }

    /// Runs `convolve`, which writes channels `range`; in training, hands it a buffer for the output
    /// moments the convolution gathers as it writes, and takes the statistics from them instead of
    /// another pass over memory.
    ///
    /// `convolve` gets the images to convolve (all of them, or when sharded, each local shard's in turn, with
    /// moments of its own, summed over all shards in shard order).
    func write(_ range: Range<Int>, training: Bool, shards: ShardedBatch?,
               _ convolve: (Range<Int>, UnsafeMutablePointer<Double>?) -> Void) {
        let all = 0..<values.shape[0]
        guard training else { return convolve(all, nil) }
        var moments: [Double]
        if let shards {
            var local = [Double](repeating: 0, count: shards.localRanges.count * 2 * range.count)
            shards.forEachShard { k, images in
                local.withUnsafeMutableBufferPointer { convolve(images, $0.baseAddress! + k * 2 * range.count) }
            }
            moments = shards.sumInShardOrder(local, width: 2 * range.count)
        } else {
            moments = [Double](repeating: 0, count: 2 * range.count)
            moments.withUnsafeMutableBufferPointer { convolve(all, $0.baseAddress) }
        }
        statisticsFromMoments(moments, count: Double(valuesPerChannel(shards)), mean: mean.data + range.lowerBound,
                              variance: variance.data + range.lowerBound)
    }

    /// Values per channel in the whole batch, all shards included.
    func valuesPerChannel(_ shards: ShardedBatch?) -> Int {
        shards.map { $0.batch * values.shape[2] * values.shape[3] } ?? valuesPerChannel
    }

    /// Prepares `norm` for reading channels `0..<norm.channels`.
    func prepare(_ norm: FoldedBatchNorm, training: Bool, shards: ShardedBatch?) {
        norm.prepare(training: training, batchMean: mean.data, batchVariance: variance.data,
                     valuesPerChannel: valuesPerChannel(shards), owner: self, shards: shards)
    }
}
