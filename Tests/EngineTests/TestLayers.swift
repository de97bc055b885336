// Layers that only tests use: thin wrappers over the engine's kernels (pooling, zero padding) and a
// chain of layers, so the kernels can be checked against finite differences and small networks trained.
@testable import Engine

/// Runs its layers in order forward and in reverse order backward.
final class Sequential: Layer {
    let name: String
    let layers: [Layer]

    init(name: String, _ layers: [Layer]) {
        self.name = name
        self.layers = layers
    }

    var parameters: [Parameter] { layers.flatMap(\.parameters) }
    var buffers: [Buffer] { layers.flatMap(\.buffers) }

    func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.outputShape(for: $0) }
    }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        layers.reduce(x) { $1.forward($0, context: context) }
    }

    func backward(_ dy: Tensor) -> Tensor {
        layers.reversed().reduce(dy) { $1.backward($0) }
    }
}

/// Adds zero borders to every image of a batch: [N, C, H, W] → [N, C, H + top + bottom, W + left + right].
final class ZeroPadding2D: Layer {
    let name: String
    let padding: Padding2D
    private var inputShape: [Int]?

    init(name: String, padding: Padding2D) {
        self.name = name
        self.padding = padding
    }

    func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "\(name): expects [N, C, H, W], got \(inputShape)")
        return [inputShape[0], inputShape[1], inputShape[2] + padding.top + padding.bottom,
                inputShape[3] + padding.left + padding.right]
    }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        inputShape = x.shape
        let y = Tensor(zeros: outputShape(for: x.shape))
        copyInterior(padded: y.images(), inner: x.images(), toPadded: true)
        return y
    }

    func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: shape)
        copyInterior(padded: dy.images(), inner: dx.images(), toPadded: false)
        return dx
    }

    /// Copies between the inner image and the region of the padded one it occupies.
    private func copyInterior(padded: ImageView, inner: ImageView, toPadded: Bool) {
        parallelFor(chunks: inner.batch) { n in
            for c in 0..<inner.channels {
                let p = padded.channel(n, c), q = inner.channel(n, c)
                for h in 0..<inner.height {
                    let row = p + (h + padding.top) * padded.width + padding.left
                    if toPadded { row.update(from: q + h * inner.width, count: inner.width) }
                    else { (q + h * inner.width).update(from: row, count: inner.width) }
                }
            }
        }
    }
}

/// Max pooling over windows of [N, C, H, W] images (`MaxPool2d`, Keras `MaxPooling2D`).
final class MaxPool2D: Layer {
    let name: String
    let window: PoolWindow
    private var inputShape: [Int]?
    private var argmax: [Int32] = []

    init(name: String, window: PoolWindow) {
        self.name = name
        self.window = window
    }

    func outputShape(for inputShape: [Int]) -> [Int] { pooledShape(inputShape, window, name) }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let y = Tensor(zeros: outputShape(for: x.shape))
        argmax = [Int32](repeating: 0, count: y.count)
        argmax.withUnsafeMutableBufferPointer { maxPoolForward(x.images(), window: window, y: y.images(), argmax: $0.baseAddress!) }
        inputShape = x.shape
        return y
    }

    func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: shape)
        argmax.withUnsafeBufferPointer { maxPoolBackward(dy: dy.images(), argmax: $0.baseAddress!, dx: dx.images()) }
        return dx
    }
}

/// Average pooling over windows of [N, C, H, W] images (`AvgPool2d`, Keras `AveragePooling2D`).
final class AveragePool2D: Layer {
    let name: String
    let window: PoolWindow
    private var inputShape: [Int]?

    init(name: String, window: PoolWindow) {
        precondition(window.padding == .zero, "\(name): average pool takes no padding")
        self.name = name
        self.window = window
    }

    func outputShape(for inputShape: [Int]) -> [Int] { pooledShape(inputShape, window, name) }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let y = Tensor(zeros: outputShape(for: x.shape))
        averagePoolForward(x.images(), window: window, y: y.images())
        inputShape = x.shape
        return y
    }

    func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: shape)
        averagePoolBackward(dy: dy.images(), window: window, dx: dx.images())
        return dx
    }
}

private func pooledShape(_ shape: [Int], _ window: PoolWindow, _ name: String) -> [Int] {
    precondition(shape.count == 4, "\(name): expects [N, C, H, W], got \(shape)")
    let out = window.outputSize(height: shape[2], width: shape[3])
    precondition(out.height > 0 && out.width > 0, "\(name): input \(shape) is smaller than the \(window.kernel)x\(window.kernel) window")
    return [shape[0], shape[1], out.height, out.width]
}
