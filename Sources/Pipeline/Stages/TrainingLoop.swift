// Training inside a stage, shared by pretrain and fine-tune: optimizer and callbacks from the stage's
// parameters, resume from the checkpoint a crashed run left, a checkpoint every few epochs, and the
// per-epoch curves as lineage metrics.
import Engine
import Foundation
import Store

/// One training run of a stage.
struct TrainingLoop {
    let context: StageContext
    let parameters: TrainingParameters
    let network: TrainableNetwork
    let train: ExampleSource
    let validation: ExampleSource
    /// Epochs between checkpoints.
    var checkpointEvery = 1
    var reduceLROnPlateau: ReduceLROnPlateau?
    var earlyStopping: EarlyStopping?
    var bestModel: BestModelSelection?
    /// Cross-entropy label smoothing (fine-tune's `label_smoothing`).
    var labelSmoothing: Float = 0

    /// Trains to the end (continuing a crashed run of the same key from its checkpoint), and
    /// returns the trainer, whose history covers every epoch, resumed ones included.
    func run() throws -> Trainer {
        let p = parameters
        let trainable = network.trainableParameters
        let lr = Float(p.lr), decay = Float(p.weightDecay)
        let optimizer: Optimizer
        switch p.optimizer {
        case .sgd: optimizer = .sgd(parameters: trainable, learningRate: lr, momentum: Float(p.momentum), weightDecay: decay)
        case .adamw: optimizer = .adam(parameters: trainable, learningRate: lr, weightDecay: decay)
        case .adam:
            guard decay == 0 else {
                throw StageError.unsupported(stage: context.name, parameter: "weight_decay", value: "\(decay) with adam",
                                             expected: "optimizer adamw (decoupled decay) or sgd for a weight decay")
            }
            optimizer = .adam(parameters: trainable, learningRate: lr)
        }
        if p.lastBatch.batchSizes(count: train.count, batchSize: p.batch).isEmpty {
            throw StageError.unsupported(stage: context.name, parameter: "last_batch", value: "drop",
                                         expected: "keep or merge, or a batch of at most \(train.count) (the training split's images): dropping the only, partial batch leaves nothing to train on")
        }
        guard p.shards <= p.batch else {
            throw StageError.unsupported(stage: context.name, parameter: "shards", value: "\(p.shards)",
                                         expected: "at most batch (\(p.batch)): every shard needs an image")
        }
        let options = TrainingOptions(epochs: p.epochs, batchSize: p.batch, lastBatch: p.lastBatch,
                                      seed: UInt64(p.seed),
                                      augmentation: p.augment ? .cifar : .none,
                                      labelSmoothing: labelSmoothing,
                                      reduceLROnPlateau: reduceLROnPlateau, earlyStopping: earlyStopping, bestModel: bestModel,
                                      preciseBatchNorm: p.preciseBn ? PreciseBatchNorm(batches: p.preciseBnBatches) : nil,
                                      shards: p.shards)
        let trainer = Trainer(network: network, optimizer: optimizer, options: options, progress: context.batchProgress)
        trainer.prefetchDepth = context.prefetchDepth
        if p.shards > 1 { trainer.shardExchange = try context.shardExchange(shards: p.shards) }
        if let (checkpoint, _) = try context.latestCheckpoint() { try trainer.restore(checkpoint) }
        try trainer.fit(train, validation: validation) { record, trainer in
            let done = record.epoch + 1
            try context.epochFinished(record, of: options.epochs)
            if done % checkpointEvery == 0 && done < options.epochs && !trainer.stoppedEarly {
                try context.saveCheckpoint(trainer.checkpoint(), step: done)
            }
        }
        return trainer
    }

    /// The curves of every epoch (1-based steps) and the training time, for lineage. Seconds are a
    /// metric, not part of an artifact: identical runs must give identical artifacts.
    static func metrics(of trainer: Trainer) -> [MetricPoint] {
        var points: [MetricPoint] = []
        for record in trainer.history { points += epochPoints(record) }
        points.append(MetricPoint(name: trainingSecondsMetric, step: 0, value: trainer.history.reduce(0) { $0 + $1.seconds }))
        return points
    }

    /// One epoch's curve points, at its 1-based step.
    static func epochPoints(_ record: Engine.EpochRecord) -> [MetricPoint] {
        ["loss", "accuracy", "val_loss", "val_accuracy", "lr"].compactMap { name in
            record.value(of: name).map { MetricPoint(name: name, step: record.epoch + 1, value: $0) }
        }
    }

    static let trainingSecondsMetric = "training_seconds"
}
