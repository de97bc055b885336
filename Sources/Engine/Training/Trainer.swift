// The training loop: epochs of seeded mini-batches, an optimizer step per batch, validation, the
// study's callbacks, per-epoch hooks, and checkpoints a run resumes from bit for bit.
import Foundation

/// How a training run goes, apart from the network and optimizer.
public struct TrainingOptions {
    public var epochs: Int
    public var batchSize: Int
    /// What each epoch does with the examples that do not fill a last batch.
    public var lastBatch: LastBatch
    /// Seeds shuffling (stream 0), augmentation (stream 1) and precise BatchNorm's batches (stream 3;
    /// stream 2 is the caller's, the pipeline's stages draw initial weights from it); dropout follows
    /// the step number.
    public var seed: UInt64
    public var augmentation: Augmentation
    public var labelSmoothing: Float
    public var reduceLROnPlateau: ReduceLROnPlateau?
    public var earlyStopping: EarlyStopping?
    public var bestModel: BestModelSelection?
    /// Recompute BatchNorm statistics at the end of every epoch, before validation; nil keeps the
    /// momentum averages training leaves.
    public var preciseBatchNorm: PreciseBatchNorm?
    /// Shards every batch is split into (`shardImageRanges`): above 1, BatchNorm statistics, gradients and the
    /// loss are computed per shard and combined in shard order (see `ShardedBatch`), so processes holding the
    /// shards in any blocks give the same bits. 1 computes each batch as one, as before shards existed.
    public var shards: Int

    public init(epochs: Int, batchSize: Int, lastBatch: LastBatch = .keep, seed: UInt64, augmentation: Augmentation = .none,
                labelSmoothing: Float = 0, reduceLROnPlateau: ReduceLROnPlateau? = nil,
                earlyStopping: EarlyStopping? = nil, bestModel: BestModelSelection? = nil,
                preciseBatchNorm: PreciseBatchNorm? = nil, shards: Int = 1) {
        precondition(epochs >= 0 && batchSize > 0, "epochs must be ≥ 0 and batch size > 0, got \(epochs), \(batchSize)")
        precondition(shards >= 1, "shards must be at least 1, got \(shards)")
        self.shards = shards
        self.epochs = epochs
        self.batchSize = batchSize
        self.lastBatch = lastBatch
        self.seed = seed
        self.augmentation = augmentation
        self.labelSmoothing = labelSmoothing
        self.reduceLROnPlateau = reduceLROnPlateau
        self.earlyStopping = earlyStopping
        self.bestModel = bestModel
        self.preciseBatchNorm = preciseBatchNorm
    }

    /// The study's setup: batch 128, up to 32 epochs, ReduceLROnPlateau on `val_loss` (factor 0.1,
    /// patience 3, min lr 1e-5), EarlyStopping on `val_loss` (patience 10) and the best epoch kept by
    /// `val_accuracy`. Pair it with `Optimizer.adam` at its Keras defaults (lr 1e-3).
    public static func study(seed: UInt64, epochs: Int = 32, batchSize: Int = 128) -> TrainingOptions {
        TrainingOptions(epochs: epochs, batchSize: batchSize, seed: seed,
                        reduceLROnPlateau: ReduceLROnPlateau(factor: 0.1, patience: 3, minLearningRate: 1e-5),
                        earlyStopping: EarlyStopping(patience: 10),
                        bestModel: BestModelSelection(monitor: MetricMonitor(metric: "val_accuracy")))
    }
}

/// One epoch's figures, under Keras's metric names.
public struct EpochRecord: Equatable, Codable, Sendable {
    public let epoch: Int
    public let loss: Double
    public let accuracy: Double
    public let validationLoss: Double?
    public let validationAccuracy: Double?
    /// The learning rate the epoch trained with.
    public let learningRate: Double
    public let seconds: Double

    /// `loss`, `accuracy`, `val_loss`, `val_accuracy` or `lr`.
    public func value(of metric: String) -> Double? {
        switch metric {
        case "loss": return loss
        case "accuracy", "acc": return accuracy
        case "val_loss": return validationLoss
        case "val_accuracy", "val_acc": return validationAccuracy
        case "lr", "learning_rate": return learningRate
        default: return nil
        }
    }
}

/// Everything besides tensors that a resumed run needs to continue exactly.
struct TrainerState: Codable, Equatable {
    /// `TrainingOptions.seed`: shuffling and augmentation of the remaining epochs depend on it.
    var seed: UInt64
    var nextEpoch = 0
    var step: UInt64 = 0
    var history: [EpochRecord] = []
    var reduceLROnPlateau: ReduceLROnPlateau?
    var earlyStopping: EarlyStopping?
    var bestModel: BestModelSelection?
    var stopped = false
}

/// Trains a network with an optimizer; see `fit`.
public final class Trainer {
    public let network: TrainableNetwork
    public let optimizer: Optimizer
    public let options: TrainingOptions
    /// How `fit` reports batches and epochs (to standard error).
    public var progress: TrainingProgress.Style
    /// Batches fetched ahead of the one training (see `BatchPrefetcher`); changes speed, not results.
    public var prefetchDepth = BatchPrefetcher.defaultDepth
    /// How the processes computing a batch's shards meet when `options.shards` is above 1; nil computes every
    /// shard in this process (`LocalShards`). Its `shardCount` must be `options.shards`.
    package var shardExchange: ShardExchange?
    var state: TrainerState
    /// Weights of the best epoch by `options.bestModel` (Keras `ModelCheckpoint(save_best_only)`).
    public internal(set) var bestWeights: [String: Tensor]?
    /// Weights of the best epoch by `options.earlyStopping`, restored when it stops the run.
    var earlyStoppingWeights: [String: Tensor]?
    private let clock: () -> Double

    public init(network: TrainableNetwork, optimizer: Optimizer, options: TrainingOptions,
                progress: TrainingProgress.Style = .quiet,
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.network = network
        self.optimizer = optimizer
        self.options = options
        self.progress = progress
        self.clock = clock
        state = TrainerState(seed: options.seed, reduceLROnPlateau: options.reduceLROnPlateau, earlyStopping: options.earlyStopping,
                             bestModel: options.bestModel)
    }

    /// Epochs finished so far, with their figures.
    public var history: [EpochRecord] { state.history }
    /// Whether early stopping ended the run.
    public var stoppedEarly: Bool { state.stopped }
    /// The best epoch by `options.bestModel`, if one is set.
    public var bestEpoch: Int? { state.bestModel?.bestEpoch }

    /// Trains from the current state (epoch 0, or where a restored checkpoint left off) to
    /// `options.epochs` or an early stop. After each epoch `onEpoch` gets its figures and the trainer,
    /// e.g. to record metrics and save `checkpoint()`.
    public func fit(_ train: ExampleSource, validation: ExampleSource? = nil,
                    onEpoch: (EpochRecord, Trainer) throws -> Void = { _, _ in }) throws {
        let seed = CounterRandom(seed: options.seed)
        let exchange = options.shards > 1 ? shardExchange ?? LocalShards(shardCount: options.shards) : nil
        if let exchange, exchange.shardCount != options.shards {
            throw TrainingError.shardCountMismatch(exchange: exchange.shardCount, shards: options.shards)
        }
        let batchesPerEpoch = options.lastBatch.batchSizes(count: train.count, batchSize: options.batchSize).count
        var progress = TrainingProgress(style: self.progress, epochs: options.epochs, batchesPerEpoch: batchesPerEpoch,
                                        clock: clock)
        while state.nextEpoch < options.epochs && !state.stopped {
            let epoch = state.nextEpoch, started = clock()
            let batches = epochBatches(count: train.count, batchSize: options.batchSize, epoch: epoch,
                                       shuffle: seed.stream(0), lastBatch: options.lastBatch)
            let trained = batches.reduce(0) { $0 + $1.count }
            let feed = BatchPrefetcher(source: train, batches: batches, depth: prefetchDepth,
                                       augmentation: options.augmentation, random: seed.stream(1).stream(UInt64(epoch)))
            progress.startEpoch(epoch)
            let learningRate = Double(optimizer.learningRate)
            var lossSum = 0.0, correct = 0, batch = 0
            while let (inputs, labels) = try feed.nextBatch() {
                batch += 1
                if let exchange {
                    let step = try shardedStep(inputs, labels, exchange: exchange, epoch: epoch, batch: batch)
                    state.step += 1
                    lossSum += step.lossSum
                    correct += step.correct
                    progress.batchFinished(loss: step.lossSum / Double(labels.count), images: labels.count,
                                           correct: step.correct)
                    continue
                }
                optimizer.zeroGradients()
                let logits = network.forward(inputs, context: ForwardContext(training: true, step: state.step))
                let loss = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: options.labelSmoothing)
                // A NaN or infinite loss poisons every weight at the next step; nothing after it is worth keeping.
                guard loss.loss.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch + 1, batch: batch, loss: Double(loss.loss))
                }
                network.backward(logitGradient: loss.dlogits)
                optimizer.step()
                state.step += 1
                let batchCorrect = zip(predictedClasses(logits), labels).filter { $0 == $1 }.count
                lossSum += Double(loss.loss) * Double(labels.count)
                correct += batchCorrect
                progress.batchFinished(loss: Double(loss.loss), images: labels.count, correct: batchCorrect)
            }
            try options.preciseBatchNorm?.recompute(network, on: train, batchSize: options.batchSize, random: seed.stream(3),
                                                    shards: exchange)
            let evaluation = try validation.map {
                try evaluate(network, on: $0, batchSize: options.batchSize, prefetchDepth: prefetchDepth)
            }
            let record = EpochRecord(epoch: epoch, loss: lossSum / Double(max(trained, 1)),
                                     accuracy: Double(correct) / Double(max(trained, 1)),
                                     validationLoss: evaluation?.meanLoss, validationAccuracy: evaluation?.accuracy,
                                     learningRate: learningRate, seconds: clock() - started)
            state.history.append(record)
            state.nextEpoch = epoch + 1
            try applyCallbacks(record)
            progress.endEpoch(summary: Self.summary(record))
            try onEpoch(record, self)
        }
    }

    /// One optimizer step on a batch split into shards, this process computing `exchange.localShards`: the loss
    /// sum and correct predictions of the whole batch, summed in shard order.
    private func shardedStep(_ inputs: Tensor, _ labels: [Int], exchange: ShardExchange, epoch: Int,
                             batch: Int) throws -> (lossSum: Double, correct: Int) {
        // Every process decides alike from the batch and `shards` alone, so none waits for one that stopped.
        guard labels.count >= exchange.shardCount else {
            throw TrainingError.batchSmallerThanShards(batch: labels.count, shards: exchange.shardCount)
        }
        let shards = ShardedBatch(exchange: exchange, batch: labels.count), local = shards.localImages
        let localInputs = local == 0..<labels.count ? inputs : inputs.samples(local)
        let localLabels = Array(labels[local])
        optimizer.zeroGradients()
        var context = ForwardContext(training: true, step: state.step)
        context.shards = shards
        let logits = network.forward(localInputs, context: context)
        let loss = softmaxCrossEntropy(logits: logits, labels: localLabels, labelSmoothing: options.labelSmoothing,
                                       meanOver: labels.count)
        let predicted = predictedClasses(logits)
        var partial = [Double](repeating: 0, count: 2 * shards.localRanges.count)
        shards.forEachShard { k, images in
            for i in images {
                partial[2 * k] += loss.losses[i]
                if predicted[i] == localLabels[i] { partial[2 * k + 1] += 1 }
            }
        }
        let totals = shards.sumInShardOrder(partial, width: 2)
        if let failure = shards.failure { throw failure }
        let meanLoss = totals[0] / Double(labels.count)
        // Every process sees the same sums, so all stop here together.
        guard meanLoss.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch + 1, batch: batch, loss: meanLoss) }
        network.backward(logitGradient: loss.dlogits)
        try shards.combineGradients(network.trainableParameters)
        optimizer.step()
        return (totals[0], Int(totals[1]))
    }

    /// Feeds `record` to the callbacks: learning rate, best model, then early stopping, which may put
    /// back older weights and so must come after the best epoch's snapshot.
    private func applyCallbacks(_ record: EpochRecord) throws {
        if var plateau = state.reduceLROnPlateau, let value = try metric(plateau.monitor.metric, record) {
            optimizer.learningRate = Float(plateau.observe(value, learningRate: Double(optimizer.learningRate)))
            state.reduceLROnPlateau = plateau
        }
        if var best = state.bestModel, let value = try metric(best.monitor.metric, record) {
            let tie = try best.tieBreaker.flatMap { try metric($0.metric, record) }
            if best.observe(value, tie: tie, epoch: record.epoch) { bestWeights = network.snapshot() }
            state.bestModel = best
        }
        if var stopping = state.earlyStopping, let value = try metric(stopping.monitor.metric, record) {
            switch stopping.observe(value, epoch: record.epoch) {
            case .improved where stopping.restoreBestWeights: earlyStoppingWeights = network.snapshot()
            case .stop:
                state.stopped = true
                if stopping.restoreBestWeights, let best = earlyStoppingWeights { try network.load(best) }
            default: break
            }
            state.earlyStopping = stopping
        }
    }

    /// The monitored value; nil (callback skipped, as Keras warns and skips) when not computed, e.g.
    /// `val_loss` without validation data; an error when the name is unknown.
    private func metric(_ name: String, _ record: EpochRecord) throws -> Double? {
        guard ["loss", "accuracy", "acc", "val_loss", "val_accuracy", "val_acc"].contains(name) else {
            throw TrainingError.unknownMetric(name)
        }
        return record.value(of: name)
    }

    static func summary(_ r: EpochRecord) -> String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        var s = "loss \(f(r.loss))  accuracy \(f(r.accuracy))"
        if let l = r.validationLoss, let a = r.validationAccuracy { s += "  val_loss \(f(l))  val_accuracy \(f(a))" }
        return s + "  lr \(r.learningRate)"
    }
}

/// A training run that cannot go on as configured.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case unknownMetric(String)
    case badCheckpoint(String)
    /// The training loss became NaN or infinite (1-based epoch and batch of the epoch).
    case nonFiniteLoss(epoch: Int, batch: Int, loss: Double)
    /// The shard exchange splits batches into another number of shards than the options say.
    case shardCountMismatch(exchange: Int, shards: Int)
    /// A batch (the last of an epoch, or the whole set for precise BatchNorm) has fewer images than shards.
    case batchSmallerThanShards(batch: Int, shards: Int)

    public var description: String {
        switch self {
        case let .unknownMetric(name):
            return "callback monitors '\(name)'; known metrics are loss, accuracy, val_loss, val_accuracy"
        case let .badCheckpoint(why):
            return "checkpoint cannot be restored: \(why)"
        case let .nonFiniteLoss(epoch, batch, loss):
            return "the training loss is \(loss) at epoch \(epoch), batch \(batch); training stopped there."
                + " Check the input data and imported weights for NaN or infinite values, or lower the learning rate"
        case let .shardCountMismatch(exchange, shards):
            return "the shard exchange splits batches into \(exchange) shards but the stage's `shards` is \(shards)"
        case let .batchSmallerThanShards(batch, shards):
            return "a batch of \(batch) images cannot be split into `shards` \(shards) with an image each;"
                + " lower `shards` to at most \(batch), or use `last_batch: drop` or `merge` so no small last batch is left"
        }
    }
}
