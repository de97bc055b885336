// Explicit per-side zero padding of image batches (Keras `ZeroPadding2D`), and the padding type
// pools (and convolutions) share.

/// Zero rows and columns added on each side of an image.
public struct Padding2D: Equatable, Sendable {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "negative padding")
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    /// The same amount on all four sides (PyTorch `padding=p`).
    public init(_ all: Int) { self.init(top: all, bottom: all, left: all, right: all) }

    public static let zero = Padding2D(0)
}

/// Adds zero borders to every image of a batch: [N, C, H, W] → [N, C, H + top + bottom, W + left + right].
public final class ZeroPadding2D: Layer {
    public let name: String
    public let padding: Padding2D
    private var inputShape: [Int]?

    public init(name: String, padding: Padding2D) {
        self.name = name
        self.padding = padding
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "\(name): expects [N, C, H, W], got \(inputShape)")
        return [inputShape[0], inputShape[1], inputShape[2] + padding.top + padding.bottom,
                inputShape[3] + padding.left + padding.right]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        inputShape = x.shape
        let y = Tensor(zeros: outputShape(for: x.shape))
        copyInterior(padded: y.images(), inner: x.images(), toPadded: true)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
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
