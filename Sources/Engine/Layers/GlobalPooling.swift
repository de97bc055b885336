// Global average and max pooling: [N, C, H, W] → [N, C] (Keras `GlobalAveragePooling2D` and
// `GlobalMaxPooling2D`, `pooling='avg'`/`'max'` of its applications).

/// Pools each whole image plane to one value, by mean or by maximum.
public final class GlobalPool: Layer {
    /// Mean or maximum of each plane.
    public enum Reduction: Sendable { case average, max }

    public let name: String
    public let reduction: Reduction
    private var inputShape: [Int]?
    /// Per output, the index within its plane of the maximum (first one on ties).
    private var argmax: [Int] = []

    public init(name: String, reduction: Reduction) {
        self.name = name
        self.reduction = reduction
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "\(name): expects [N, C, H, W], got \(inputShape)")
        return [inputShape[0], inputShape[1]]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        inputShape = x.shape
        let view = x.images(), y = Tensor(zeros: outputShape(for: x.shape))
        argmax = [Int](repeating: 0, count: y.count)
        argmax.withUnsafeMutableBufferPointer { arg in
            forEachPlane(view) { n, c in
                let p = view.channel(n, c), o = n * view.channels + c
                switch reduction {
                case .average:
                    var sum: Float = 0
                    for i in 0..<view.plane { sum += p[i] }
                    y.data[o] = sum / Float(view.plane)
                case .max:
                    var best = 0
                    for i in 1..<max(view.plane, 1) where p[i] > p[best] { best = i }
                    y.data[o] = p[best]
                    arg[o] = best
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: shape), view = dx.images()
        forEachPlane(view) { n, c in
            let p = view.channel(n, c), g = dy.data[n * view.channels + c]
            switch reduction {
            case .average:
                let share = g / Float(view.plane)
                for i in 0..<view.plane { p[i] = share }
            case .max:
                p[argmax[n * view.channels + c]] = g
            }
        }
        return dx
    }
}
