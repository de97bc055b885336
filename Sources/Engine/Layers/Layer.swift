// The contract every layer keeps: forward, backward, and the tensors it owns.

/// What a forward pass needs to know beyond its input.
public struct ForwardContext: Sendable {
    /// Training mode: BatchNorm uses batch statistics and updates its running ones; dropout drops.
    public var training: Bool
    /// Global step number: seeds per-step randomness (dropout) so a resumed run draws the same masks.
    public var step: UInt64
    /// Whether dropout drops: while training, except when precise BatchNorm recomputes statistics,
    /// which must be those of the activations inference sees (where dropout is the identity).
    public var dropout: Bool
    /// A training step split into shards (a stage's `shards` above 1): layers compute per shard what crosses
    /// images. Nil computes the batch as one, as always before shards existed.
    package var shards: ShardedBatch?

    public init(training: Bool, step: UInt64 = 0, dropout: Bool? = nil) {
        self.training = training
        self.step = step
        self.dropout = dropout ?? training
    }

    public static let inference = ForwardContext(training: false)
}

/// A layer of a network. The math lives in the op functions; a layer holds parameters, buffers, and
/// what its last forward must keep for backward.
public protocol Layer: AnyObject {
    var name: String { get }
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
    func outputShape(for inputShape: [Int]) -> [Int]
    func forward(_ x: Tensor, context: ForwardContext) -> Tensor
    /// Gradient with respect to the last forward's input, given `dy` for its output. Adds (`+=`) into
    /// the `grad` of trainable parameters; computes none for frozen ones.
    func backward(_ dy: Tensor) -> Tensor
}

public extension Layer {
    var parameters: [Parameter] { [] }
    var buffers: [Buffer] { [] }
}
