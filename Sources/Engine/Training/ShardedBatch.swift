// One training batch split into shards: which images each shard holds, where this process's shards sit in
// its local tensor, and the folds in shard order that make a step independent of how processes hold shards.

/// The images of a batch of `batch` split into `shards` contiguous ranges fixed by those two numbers alone:
/// the first `batch % shards` shards hold one image more. A shard may be empty when the batch (the last of an
/// epoch) has fewer images than there are shards.
package func shardImageRanges(batch: Int, shards: Int) -> [Range<Int>] {
    precondition(batch >= 0 && shards >= 1, "batch \(batch), shards \(shards)")
    let base = batch / shards, extra = batch % shards
    return (0..<shards).map { s in
        let start = s * base + min(s, extra)
        return start..<(start + base + (s < extra ? 1 : 0))
    }
}

/// A training step over shards, shared by every layer the step runs through (`ForwardContext.shards`).
///
/// This process holds the images of `exchange.localShards`, back to back, as its local batch. Layers compute
/// everything that crosses images per shard (over `localRanges`): BatchNorm partial sums, which `sumInShardOrder`
/// turns into the batch's; parameter gradients, into per-shard slots (`gradient(of:shard:)`) that
/// `combineGradients` folds in shard order into the parameters' `grad` after backward. A shard's partials depend
/// only on its own images, and folds run in shard-index order in every process, so one process holding all
/// shards and several holding blocks of them compute the same bits.
package final class ShardedBatch: @unchecked Sendable {
    package let exchange: ShardExchange
    /// Images in the whole batch, over all shards.
    package let batch: Int
    /// Every shard's images, as indices into the whole batch.
    package let imageRanges: [Range<Int>]
    /// Where this process's shards sit in its local batch, in `exchange.localShards` order.
    package let localRanges: [Range<Int>]
    /// Per trainable parameter, one gradient of its shape per local shard, back to back; zero at the start
    /// of a step. Filled by layers in backward, in whatever order they run.
    private var slots: [ObjectIdentifier: Tensor] = [:]
    /// The first exchange that failed. Layers cannot throw, so a failed exchange is kept here, later exchanges
    /// are skipped (their sums are this process's alone, and meaningless), and the trainer throws it after
    /// backward, before any weight changes.
    package private(set) var failure: Error?

    package init(exchange: ShardExchange, batch: Int) {
        self.exchange = exchange
        self.batch = batch
        let ranges = shardImageRanges(batch: batch, shards: exchange.shardCount)
        let first = ranges[exchange.localShards.lowerBound].lowerBound
        imageRanges = ranges
        localRanges = exchange.localShards.map { ranges[$0].lowerBound - first ..< ranges[$0].upperBound - first }
    }

    /// The images of the whole batch this process holds.
    package var localImages: Range<Int> {
        imageRanges[exchange.localShards.lowerBound].lowerBound ..< imageRanges[exchange.localShards.upperBound - 1].upperBound
    }

    /// Runs `body(local shard index, image range in the local batch)` for every local shard holding images.
    package func forEachShard(_ body: (Int, Range<Int>) -> Void) {
        for (k, range) in localRanges.enumerated() where !range.isEmpty { body(k, range) }
    }

    /// Sums of `width` values over all shards: `local` holds `width` values per local shard, back to back;
    /// every shard's values are gathered and added in shard order, in Double. After a failed exchange
    /// (`failure`), zeros.
    package func sumInShardOrder(_ local: [Double], width: Int) -> [Double] {
        precondition(local.count == width * localRanges.count, "\(local.count) partial values for \(localRanges.count) shards of \(width)")
        var all = [Double](repeating: 0, count: width * exchange.shardCount)
        if failure == nil {
            do {
                try local.withUnsafeBytes { source in
                    try all.withUnsafeMutableBytes { try exchange.allGather(local: source, bytesPerShard: width * 8, into: $0) }
                }
            } catch {
                failure = error
            }
        }
        var sum = [Double](repeating: 0, count: width)
        for s in 0..<exchange.shardCount {
            for i in 0..<width { sum[i] += all[s * width + i] }
        }
        return sum
    }

    /// Local shard `k`'s gradient slot for `parameter`, to add into.
    package func gradient(of parameter: Parameter, shard k: Int) -> UnsafeMutablePointer<Float> {
        let count = parameter.value.count
        if let slot = slots[ObjectIdentifier(parameter)] { return slot.data + k * count }
        let slot = Tensor(zeros: [localRanges.count, count])
        slots[ObjectIdentifier(parameter)] = slot
        return slot.data + k * count
    }

    /// Adds into each of `parameters`' `grad` the sum of its per-shard gradients, in shard order
    /// (((g₀ + g₁) + g₂) + …, in Float). Every process passes the same parameters in the same order; a parameter
    /// no layer wrote a gradient for contributes zeros. One all-gather carries every parameter.
    /// Throws the first failed exchange of the step, this one's included.
    package func combineGradients(_ parameters: [Parameter]) throws {
        if let failure { throw failure }
        let total = parameters.reduce(0) { $0 + $1.value.count }, shards = exchange.shardCount
        guard total > 0 else { return }
        var local = [Float](repeating: 0, count: total * localRanges.count)
        local.withUnsafeMutableBufferPointer { local in
            var offset = 0
            for p in parameters {
                let count = p.value.count
                if let slot = slots[ObjectIdentifier(p)] {
                    for k in 0..<localRanges.count {
                        (local.baseAddress! + k * total + offset).update(from: slot.data + k * count, count: count)
                    }
                }
                offset += count
            }
        }
        var all = [Float](repeating: 0, count: total * shards)
        try local.withUnsafeBytes { source in
            try all.withUnsafeMutableBytes { try exchange.allGather(local: source, bytesPerShard: total * 4, into: $0) }
        }
        all.withUnsafeBufferPointer { all in
            var next = 0
            for p in parameters {
                let count = p.value.count, grad = p.grad.data, offset = next
                parallelFor(chunks: (count + 16_383) / 16_384) { chunk in
                    for i in chunk * 16_384..<min(count, (chunk + 1) * 16_384) {
                        var sum = all[offset + i]
                        for s in 1..<max(shards, 1) { sum += all[s * total + offset + i] }
                        grad[i] += sum
                    }
                }
                next += count
            }
        }
    }
}

/// Runs `body` over images `0..<batch` at once, or when sharded, over each local shard's images in turn, so no
/// image's result depends on which other images a process holds.
func forEachImageRange(_ shards: ShardedBatch?, batch: Int, _ body: (Range<Int>) -> Void) {
    guard let shards else { return body(0..<batch) }
    shards.forEachShard { _, images in body(images) }
}

extension Tensor {
    /// A copy of samples `range` (along the first dimension).
    func samples(_ range: Range<Int>) -> Tensor {
        let perSample = count / max(shape[0], 1)
        let out = Tensor(zeros: [range.count] + shape.dropFirst())
        out.data.update(from: data + range.lowerBound * perSample, count: out.count)
        return out
    }
}
