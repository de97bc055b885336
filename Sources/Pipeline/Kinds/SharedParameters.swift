// Parameters several stage kinds share: the training ones (pretrain and fine-tune) and a data set's
// shard size, declared once with their decoded form beside them.
import Engine

extension ParameterSpec {
    /// The size bound of each stored shard of a data set.
    static func shardSize(_ what: String) -> ParameterSpec {
        ParameterSpec("shard_mib", .int(1...1024), .value(.int(64)), "\(what): size bound of each stored shard, in MiB")
    }

    static let batch: ParameterType = .int(1...65_536)
    static let seed: ParameterType = .int(0...Int(Int32.max))
}

/// The update rule (`optimizer`).
enum OptimizerChoice: String, CaseIterable, Codable {
    case adam, sgd, adamw
}

/// What every training stage reads: epochs, batches, the update rule, augmentation, precise BN, seed.
struct TrainingParameters: ParameterGroup {
    let epochs: Int
    let batch: Int
    let lastBatch: LastBatch
    let optimizer: OptimizerChoice
    let lr: Double
    let momentum: Double
    let weightDecay: Double
    let augment: Bool
    let preciseBn: Bool
    let preciseBnBatches: Int
    let seed: Int
    let shards: Int

    /// The training parameters, with the stage's own default `epochs`.
    static func specs(epochs defaultEpochs: Int) -> [ParameterSpec] {
        [
            ParameterSpec("epochs", .int(0...10_000), .value(.int(defaultEpochs)), "maximum number of passes over the training set"),
            ParameterSpec("batch", ParameterSpec.batch, .value(.int(64)), "images per mini-batch"),
            ParameterSpec("last_batch", .choice(LastBatch.allCases.map(\.rawValue)), .value(.string(LastBatch.keep.rawValue)),
                          inKeyAtDefault: false,
                          "images left over when batch does not divide the training split: a smaller last batch (keep), left out (drop), or folded into the batch before (merge)"),
            ParameterSpec("optimizer", .choice(OptimizerChoice.allCases.map(\.rawValue)), .value(.string(OptimizerChoice.adam.rawValue)),
                          "update rule"),
            ParameterSpec("lr", .float(1e-8...10), .value(.float(1e-3)), "initial learning rate"),
            ParameterSpec("momentum", .float(0...0.9999), .value(.float(0.9)), "SGD momentum (sgd only)"),
            ParameterSpec("weight_decay", .float(0...1), .value(.float(0)), "L2 penalty (decoupled for adamw)"),
            ParameterSpec("augment", .bool, .value(.bool(false)), "random crop with padding and horizontal flip"),
            ParameterSpec("precise_bn", .bool, .value(.bool(false)),
                          "recompute BatchNorm statistics over fixed training batches before each validation (precise BN)"),
            ParameterSpec("precise_bn_batches", .int(1...100_000), .value(.int(16)),
                          "training batches precise BN averages over (all full batches when there are fewer)"),
            ParameterSpec("seed", ParameterSpec.seed, .pipelineSeed, "shuffling, initialisation and augmentation seed"),
            ParameterSpec("shards", .int(1...1024), .value(.int(1)), inKeyAtDefault: false,
                          "parts each batch is split into, each computed on its own and combined in a fixed order: the results then depend on shards but not on how many processes (MPI ranks, at most shards) compute them; 1 computes each batch whole"),
        ]
    }
}
