// Batch normalisation over a sharded batch (SyncBatchNorm): every shard's partial sums, combined in shard
// order by `ShardedBatch`, stand in for the sums over the whole batch.

extension ImageView {
    /// Images `range` of this view, as a view of their own.
    func images(_ range: Range<Int>) -> ImageView {
        precondition(range.lowerBound >= 0 && range.upperBound <= batch, "images \(range) of a batch of \(batch)")
        return ImageView(data: data + range.lowerBound * imageStride, batch: range.count, channels: channels,
                         height: height, width: width, imageStride: imageStride)
    }
}

/// Mean and biased variance per channel from moments over `count` values: `moments` holds Σx for every channel,
/// then Σx² for every channel.
func statisticsFromMoments(_ moments: [Double], count: Double, mean: UnsafeMutablePointer<Float>,
                           variance: UnsafeMutablePointer<Float>) {
    let channels = moments.count / 2
    for c in 0..<channels {
        let m = moments[c] / count
        mean[c] = Float(m)
        variance[c] = Float(max(moments[channels + c] / count - m * m, 0))
    }
}

/// `batchNormStatistics` over the whole sharded batch: each local shard's mean and variance (by the
/// unsharded two-pass code over its images), turned into moments, summed in shard order over all shards.
func shardedBatchNormStatistics(_ x: ImageView, shards: ShardedBatch, mean: UnsafeMutablePointer<Float>,
                                variance: UnsafeMutablePointer<Float>) {
    let channels = x.channels
    var moments = [Double](repeating: 0, count: shards.localRanges.count * 2 * channels)
    var shardMean = [Float](repeating: 0, count: channels), shardVariance = shardMean
    shards.forEachShard { k, range in
        batchNormStatistics(x.images(range), mean: &shardMean, variance: &shardVariance)
        let n = Double(range.count * x.plane), base = k * 2 * channels
        for c in 0..<channels {
            let m = Double(shardMean[c])
            moments[base + c] = m * n
            moments[base + channels + c] = (Double(shardVariance[c]) + m * m) * n
        }
    }
    let total = shards.sumInShardOrder(moments, width: 2 * channels)
    statisticsFromMoments(total, count: Double(shards.batch * x.plane), mean: mean, variance: variance)
}

/// `batchNormBackward` over the whole sharded batch, `mean` and `variance` being the whole batch's. Σdz and
/// Σdz·(x − mean) are summed per local shard; γ's and β's gradients go to each shard's slot in `shards`
/// (`gamma`/`beta` nil when frozen); dx uses the sums over all shards, added in shard order.
func shardedBatchNormBackward(dy: ImageView, x: ImageView, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                              gamma: Parameter, beta: Parameter, epsilon: Float, relu: Bool, batchStatistics: Bool,
                              dx: ImageView, accumulate: Bool, shards: ShardedBatch, trainable: Bool) {
    precondition(dy.batch == x.batch && dy.channels == x.channels && dy.plane == x.plane
                 && dx.batch == x.batch && dx.channels == x.channels && dx.plane == x.plane,
                 "shardedBatchNormBackward: dy, x and dx views differ in shape")
    let channels = x.channels, locals = shards.localRanges.count
    var constants = [Float](repeating: 0, count: 4 * channels)
    var partial = [Double](repeating: 0, count: locals * 2 * channels)
    constants.withUnsafeMutableBufferPointer { buffer in
        let scale = buffer.baseAddress!, shift = scale + channels, sumDz = shift + channels, sumDzCentred = sumDz + channels
        batchNormScaleShift(channels: channels, mean: mean, variance: variance, gamma: gamma.value.data,
                            beta: beta.value.data, epsilon: epsilon, scale: scale, shift: shift)
        partial.withUnsafeMutableBufferPointer { partial in
            let partial = partial.baseAddress!
            forEachChannelGroup(x) { group in
                shards.forEachShard { k, range in
                    let sums = gradientSums(group, dy: dy, x: x, images: range, mean: mean, scale: scale, shift: shift,
                                            relu: relu)
                    let dz = group.perChannel(sums.dz), centred = group.perChannel(sums.dzCentred)
                    let base = partial + k * 2 * channels
                    for lane in 0..<(group.channelsInLanes ? group.channels : 1) {
                        base[group.channel + lane] = dz[lane]
                        base[channels + group.channel + lane] = centred[lane]
                    }
                }
            }
        }
        if trainable {
            for k in 0..<locals {
                let dgamma = shards.gradient(of: gamma, shard: k), dbeta = shards.gradient(of: beta, shard: k)
                for c in 0..<channels {
                    let invStd = 1 / (variance[c] + epsilon).squareRoot()
                    dbeta[c] += Float(partial[k * 2 * channels + c])
                    dgamma[c] += Float(partial[k * 2 * channels + channels + c]) * invStd
                }
            }
        }
        // Without batch statistics dx ignores the sums: no process needs the others'.
        if batchStatistics {
            let total = shards.sumInShardOrder(partial, width: 2 * channels)
            for c in 0..<channels {
                sumDz[c] = Float(total[c])
                sumDzCentred[c] = Float(total[channels + c])
            }
        }
        let count = Double(shards.batch * x.plane)
        forEachChannelGroup(x) { group in
            let invStd = 1 / (group.lanes(variance) + epsilon).squareRoot()
            applyGradient(group, dy: dy, x: x, dx: dx, mean: mean, scale: scale, shift: shift, invStd: invStd, relu: relu,
                          sumDz: group.lanes(sumDz), sumDzXhat: group.lanes(sumDzCentred) * invStd, count: count,
                          batchStatistics: batchStatistics, accumulate: accumulate)
        }
    }
}
