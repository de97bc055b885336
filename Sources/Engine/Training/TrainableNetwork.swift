// What the trainer and evaluator need of a network: a forward to logits, a backward from their
// gradient, and its tensors by name for checkpoints.

/// A network mapping a batch to class logits [N, classes].
public protocol TrainableNetwork: AnyObject {
    /// Every learnable tensor; optimizers update those with `trainable` set.
    var parameters: [Parameter] { get }
    /// Parameters and buffers by name, in a fixed order: what weight files and checkpoints hold.
    var namedTensors: [(name: String, tensor: Tensor)] { get }
    /// Every BatchNorm layer, frozen or not, for recomputing their statistics (precise BatchNorm).
    var batchNorms: [BatchNorm] { get }
    func forward(_ x: Tensor, context: ForwardContext) -> Tensor
    /// Adds into the trainable parameters' gradients, given ∂loss/∂logits of the last forward.
    func backward(logitGradient: Tensor)
}

public extension TrainableNetwork {
    var trainableParameters: [Parameter] { parameters.filter(\.trainable) }

    /// Copies `weights` into the tensors of the same names. Every tensor must be present unless
    /// `partial`; a key naming no tensor, or of the wrong shape, is an error naming it.
    func load(_ weights: [String: Tensor], partial: Bool = false) throws {
        let own = Dictionary(uniqueKeysWithValues: namedTensors.map { ($0.name, $0.tensor) })
        for (key, value) in weights {
            guard let target = own[key] else { throw ModelError.unexpectedWeight(key: key) }
            guard target.shape == value.shape else {
                throw ModelError.weightShapeMismatch(key: key, expected: target.shape, found: value.shape)
            }
        }
        if !partial, let missing = namedTensors.first(where: { weights[$0.name] == nil }) {
            throw ModelError.missingWeight(key: missing.name)
        }
        for (key, value) in weights { own[key]!.copy(from: value) }
    }

    /// Copies of every named tensor, e.g. to restore the best epoch's weights later.
    func snapshot() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedTensors.map { ($0.name, $0.tensor.clone()) })
    }
}
