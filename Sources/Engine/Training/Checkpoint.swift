// A training run's state as named tensors plus string metadata — the shape of a safetensors file,
// whose byte encoding lives outside the engine — and the trainer's save and resume.
import Foundation

/// Everything needed to continue a run exactly: model tensors (parameters and buffers, under their
/// own names), optimizer state (`optimizer.…`), best-epoch weight snapshots (`best.…`,
/// `early_stopping_best.…`), and in `metadata["trainer"]` the epoch, step, history and callback
/// states as JSON. Random draws are keyed by seed, epoch and step, so no generator state is needed.
public struct Checkpoint {
    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    static let bestPrefix = "best."
    static let earlyStoppingPrefix = "early_stopping_best."
    static let optimizerPrefix = "optimizer."
    static let stateKey = "trainer"
}

extension Trainer {
    /// A copy of the run's state after the last finished epoch (call it from `fit`'s `onEpoch`).
    public func checkpoint() -> Checkpoint {
        var tensors = network.namedTensors.map { ($0.name, $0.tensor.clone()) }
        tensors += optimizer.state().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        for (prefix, snapshot) in [(Checkpoint.bestPrefix, bestWeights), (Checkpoint.earlyStoppingPrefix, earlyStoppingWeights)] {
            guard let snapshot else { continue }
            tensors += network.namedTensors.map { (prefix + $0.name, snapshot[$0.name]!.clone()) }
        }
        return Checkpoint(tensors: tensors, metadata: [Checkpoint.stateKey: Self.encode(state)])
    }

    /// Puts the network, optimizer and trainer back where `checkpoint` was taken; a following `fit`
    /// continues as the original run did. Errors name the tensor or field that does not fit.
    public func restore(_ checkpoint: Checkpoint) throws {
        guard let json = checkpoint.metadata[Checkpoint.stateKey] else {
            throw TrainingError.badCheckpoint("metadata lacks '\(Checkpoint.stateKey)'")
        }
        let restored: TrainerState
        do {
            restored = try Self.decoder.decode(TrainerState.self, from: Data(json.utf8))
        } catch {
            throw TrainingError.badCheckpoint("metadata '\(Checkpoint.stateKey)' is not a trainer state: \(error)")
        }
        guard restored.seed == options.seed else {
            throw TrainingError.badCheckpoint("it was taken with seed \(restored.seed), this trainer has seed \(options.seed)")
        }
        var model: [String: Tensor] = [:], optimizerState: [String: Tensor] = [:]
        var snapshots: [String: [String: Tensor]] = [:]
        for (name, tensor) in checkpoint.tensors {
            if name.hasPrefix(Checkpoint.optimizerPrefix) {
                optimizerState[name] = tensor
            } else if let prefix = [Checkpoint.bestPrefix, Checkpoint.earlyStoppingPrefix].first(where: name.hasPrefix) {
                snapshots[prefix, default: [:]][String(name.dropFirst(prefix.count))] = tensor.clone()
            } else {
                model[name] = tensor
            }
        }
        try network.load(model)
        try optimizer.restore(optimizerState)
        state = restored
        bestWeights = snapshots[Checkpoint.bestPrefix]
        earlyStoppingWeights = snapshots[Checkpoint.earlyStoppingPrefix]
    }

    private static func encode(_ state: TrainerState) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        // Encoding plain numbers, strings and arrays cannot fail.
        return String(decoding: try! encoder.encode(state), as: UTF8.self)
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        return decoder
    }
}
