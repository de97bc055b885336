// Learnable parameters and non-learnable buffers, the unit optimizers and weight files work on.

/// A learnable tensor with its gradient. Freezing sets `trainable` to false: the layer then computes
/// no gradient for it and optimizers skip it.
public final class Parameter {
    /// Name following the layer structure, e.g. `block1.layer3.conv2.weight`; weight files use it.
    public let name: String
    public let value: Tensor
    public let grad: Tensor
    public var trainable: Bool

    public init(name: String, value: Tensor, trainable: Bool = true) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
        self.trainable = trainable
    }
}

/// A non-learnable tensor a layer keeps across steps (BatchNorm's running mean and variance).
public final class Buffer {
    public let name: String
    public let value: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
    }
}
