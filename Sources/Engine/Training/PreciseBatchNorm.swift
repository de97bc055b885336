// Precise BatchNorm (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021; timm's and Detectron2's
// `update_bn_stats`): before an evaluation, the running statistics are recomputed with the current
// weights over a fixed set of training batches, instead of trusting the momentum average of batch
// statistics taken while the weights were still moving.

/// How many training batches precise BatchNorm averages over. The batches are the first `batches`
/// full batches of a seeded permutation of the training set, the same ones before every evaluation.
public struct PreciseBatchNorm: Equatable, Sendable, Codable {
    public var batches: Int

    public init(batches: Int) {
        precondition(batches > 0, "precise BatchNorm needs at least one batch, got \(batches)")
        self.batches = batches
    }

    /// The examples of each batch: the first `batches` full batches of `random`'s permutation of
    /// `0..<count` (fewer when the set holds fewer), or all examples as one batch when there are fewer
    /// than `batchSize`. Every batch has the same size, so equal weights are exact population weights.
    public func batchIndices(count: Int, batchSize: Int, random: CounterRandom) -> [[Int]] {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        guard count > 0 else { return [] }
        let order = random.permutation(count)
        guard count >= batchSize else { return [order] }
        return (0..<min(batches, count / batchSize)).map { Array(order[$0 * batchSize..<($0 + 1) * batchSize]) }
    }

    /// Recomputes the running statistics of `network`'s BatchNorm layers from the batches of `train`.
    public func recompute(_ network: TrainableNetwork, on train: ExampleSource, batchSize: Int,
                          random: CounterRandom) throws {
        try recompute(network, on: train, batchSize: batchSize, random: random, shards: nil)
    }

    /// With `shards`, each batch is split as a training step's is and each process forwards its shards' images,
    /// the batch statistics combined over all shards (see `ShardedBatch`).
    func recompute(_ network: TrainableNetwork, on train: ExampleSource, batchSize: Int, random: CounterRandom,
                   shards exchange: ShardExchange?) throws {
        let batches = try batchIndices(count: train.count, batchSize: batchSize, random: random).map { try train.batch($0).inputs }
        guard let exchange else { return recomputeBatchNormStatistics(network, batches: batches) }
        if let small = batches.first(where: { $0.shape[0] < exchange.shardCount }) {
            throw TrainingError.batchSmallerThanShards(batch: small.shape[0], shards: exchange.shardCount)
        }
        var failure: Error?
        recomputeBatchNormStatistics(network, batches: batches) { batch in
            let shards = ShardedBatch(exchange: exchange, batch: batch.shape[0])
            var context = ForwardContext(training: true, dropout: false)
            context.shards = shards
            _ = network.forward(batch.samples(shards.localImages), context: context)
            failure = failure ?? shards.failure
        }
        if let failure { throw failure }
    }
}

/// Replaces the running mean and variance of every unfrozen BatchNorm of `network` by the average,
/// each batch weighing the same, of the batch means and variances its training forward sees over
/// `batches` (not a momentum update). The forwards use batch statistics as training does, without
/// dropout (inference has none) and without touching the weights. Frozen layers, which normalise with
/// their running statistics even while training, keep them.
public func recomputeBatchNormStatistics(_ network: TrainableNetwork, batches: [Tensor]) {
    recomputeBatchNormStatistics(network, batches: batches) {
        _ = network.forward($0, context: ForwardContext(training: true, dropout: false))
    }
}

/// The same, each batch's training forward run by `forward`.
func recomputeBatchNormStatistics(_ network: TrainableNetwork, batches: [Tensor], forward: (Tensor) -> Void) {
    let norms = network.batchNorms.filter { !$0.isFrozen }
    guard !norms.isEmpty, !batches.isEmpty else { return }
    for norm in norms { norm.beginCollectingStatistics() }
    for batch in batches { forward(batch) }
    for norm in norms { norm.finishCollectingStatistics() }
}
