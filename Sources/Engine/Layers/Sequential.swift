// A chain of layers run one after the other: heads, small test networks.

/// Runs its layers in order forward and in reverse order backward.
public final class Sequential: Layer {
    public let name: String
    public let layers: [Layer]

    public init(name: String, _ layers: [Layer]) {
        self.name = name
        self.layers = layers
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var buffers: [Buffer] { layers.flatMap(\.buffers) }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.outputShape(for: $0) }
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        layers.reduce(x) { $1.forward($0, context: context) }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        layers.reversed().reduce(dy) { $1.backward($0) }
    }
}
