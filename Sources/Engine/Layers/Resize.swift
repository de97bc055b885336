// Bilinear resizing of image batches with half-pixel centres: TensorFlow `tf.image.resize(method=
// 'bilinear', antialias=False)`, the same as PyTorch `interpolate(mode='bilinear', align_corners=False)`.

/// Where output index `o` of one axis samples the input: rows (or columns) `low` and `high` mixed
/// as input[low] + (input[high] − input[low])·`fraction`.
struct BilinearTap {
    let low: Int, high: Int, fraction: Float

    /// The taps of an axis resized from `input` to `output` samples. Pixel centres sit at index + ½:
    /// source = (o + ½)·input/output − ½, clamped to the image (edge pixels repeat).
    static func axis(input: Int, output: Int) -> [BilinearTap] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let source = max((Float(o) + 0.5) * scale - 0.5, 0)
            let low = min(Int(source), input - 1)
            return BilinearTap(low: low, high: min(low + 1, input - 1), fraction: source - Float(low))
        }
    }
}

/// Resizes [N, C, H, W] images to `height`x`width` by bilinear interpolation. Its backward spreads
/// each output gradient over the four inputs it mixed, with the same weights.
public final class Resize: Layer {
    public let name: String
    public let height: Int
    public let width: Int
    private var inputShape: [Int]?

    public init(name: String, height: Int, width: Int) {
        precondition(height > 0 && width > 0, "\(name): target size \(height)x\(width) must be positive")
        self.name = name
        self.height = height
        self.width = width
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "\(name): expects [N, C, H, W], got \(inputShape)")
        return [inputShape[0], inputShape[1], height, width]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        inputShape = x.shape
        let src = x.images(), y = Tensor(zeros: outputShape(for: x.shape)), dst = y.images()
        let rows = BilinearTap.axis(input: src.height, output: height)
        let cols = BilinearTap.axis(input: src.width, output: width)
        forEachPlane(src) { n, c in
            let p = src.channel(n, c), q = dst.channel(n, c)
            for (oh, r) in rows.enumerated() {
                let upper = p + r.low * src.width, lower = p + r.high * src.width
                for (ow, t) in cols.enumerated() {
                    let top = upper[t.low] + (upper[t.high] - upper[t.low]) * t.fraction
                    let bottom = lower[t.low] + (lower[t.high] - lower[t.low]) * t.fraction
                    q[oh * width + ow] = top + (bottom - top) * r.fraction
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("\(name): backward before forward") }
        let dx = Tensor(zeros: shape), src = dx.images(), grad = dy.images()
        let rows = BilinearTap.axis(input: src.height, output: height)
        let cols = BilinearTap.axis(input: src.width, output: width)
        forEachPlane(src) { n, c in
            let p = src.channel(n, c), g = grad.channel(n, c)
            for (oh, r) in rows.enumerated() {
                let upper = p + r.low * src.width, lower = p + r.high * src.width
                for (ow, t) in cols.enumerated() {
                    let d = g[oh * width + ow]
                    let dTop = d * (1 - r.fraction), dBottom = d * r.fraction
                    upper[t.low] += dTop * (1 - t.fraction)
                    upper[t.high] += dTop * t.fraction
                    lower[t.low] += dBottom * (1 - t.fraction)
                    lower[t.high] += dBottom * t.fraction
                }
            }
        }
        return dx
    }
}
