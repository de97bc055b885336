// Flatten: [N, ...] → [N, features], a view that copies nothing.

/// Flattens each sample to one row. Features come in NCHW order (channel, row, column); Keras, being
/// NHWC, orders them (row, column, channel), which matters only when importing a dense layer behind it.
public final class Flatten: Layer {
    public let name: String
    private var inputShape: [Int]?

    public init(name: String) { self.name = name }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[0], inputShape.dropFirst().reduce(1, *)]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        inputShape = x.shape
        return x.reshaped(outputShape(for: x.shape))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("\(name): backward before forward") }
        return dy.reshaped(shape)
    }
}
