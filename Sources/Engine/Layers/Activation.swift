// ReLU as elementwise functions and as a layer.

/// y[i] = max(x[i], 0). `y` may be `x`.
func reluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = max(x[i], 0) }
}

/// dx[i] = dy[i] where the forward output y[i] was positive, else 0. `dx` may be `dy`.
func reluBackward(dy: UnsafePointer<Float>, y: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                         count: Int) {
    for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
}

/// Rectified linear unit. Keeps its output (not its input) for backward: y > 0 ⇔ x > 0.
public final class ReLU: Layer {
    public let name: String
    private var output: Tensor?

    public init(name: String) { self.name = name }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let y = Tensor(zeros: x.shape)
        reluForward(x.data, y.data, count: x.count)
        output = y
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: y.shape)
        reluBackward(dy: dy.data, y: y.data, dx: dx.data, count: y.count)
        return dx
    }
}
