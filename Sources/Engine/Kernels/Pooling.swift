// Windowed pooling of image batches: max pool (any kernel, stride and padding; Keras/PyTorch's
// 3x3/2 pad 1 stem pool) and average pool (Keras/PyTorch 2x2/2 transition pool), forward and backward.

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

/// A square pooling window moved by `stride`, over an input with optional padding on each side.
/// Output size per axis: ⌊(in + padding − kernel) / stride⌋ + 1 (PyTorch's floor mode, Keras `valid`).
public struct PoolWindow: Equatable, Sendable {
    public var kernel: Int
    public var stride: Int
    public var padding: Padding2D

    public init(kernel: Int, stride: Int, padding: Padding2D = .zero) {
        precondition(kernel > 0 && stride > 0, "pool kernel and stride must be positive")
        precondition(max(padding.top, padding.bottom, padding.left, padding.right) < kernel,
                     "pool padding \(padding) must be smaller than the kernel \(kernel)")
        self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + padding.top + padding.bottom - kernel) / stride + 1,
         (width + padding.left + padding.right - kernel) / stride + 1)
    }

    /// The input rows (or columns) window `o` covers, clipped to the image.
    @inline(__always)
    func span(_ o: Int, before: Int, size: Int) -> Range<Int> {
        let start = o * stride - before
        return max(start, 0)..<min(start + kernel, size)
    }
}

/// Max pool: y = the largest input in each window; padded positions never win (PyTorch semantics;
/// Keras pads with explicit zeros first, the same on the non-negative input that follows a ReLU).
/// `argmax` ([N, C, outH, outW], contiguous) receives, per output, the winning input's index within
/// its plane (the first one on ties).
func maxPoolForward(_ x: ImageView, window: PoolWindow, y: ImageView, argmax: UnsafeMutablePointer<Int32>) {
    forEachPlane(x) { n, c in
        let src = x.channel(n, c), dst = y.channel(n, c)
        let arg = argmax + (n * x.channels + c) * y.plane
        for oh in 0..<y.height {
            let rows = window.span(oh, before: window.padding.top, size: x.height)
            for ow in 0..<y.width {
                let cols = window.span(ow, before: window.padding.left, size: x.width)
                var best = -Float.infinity, bestIndex = rows.lowerBound * x.width + cols.lowerBound
                for h in rows {
                    for w in cols where src[h * x.width + w] > best {
                        best = src[h * x.width + w]
                        bestIndex = h * x.width + w
                    }
                }
                dst[oh * y.width + ow] = best
                arg[oh * y.width + ow] = Int32(bestIndex)
            }
        }
    }
}

/// Max pool backward: each output's gradient goes to the input `argmax` (from `maxPoolForward`)
/// names. Adds into `dx`.
func maxPoolBackward(dy: ImageView, argmax: UnsafePointer<Int32>, dx: ImageView) {
    forEachPlane(dx) { n, c in
        let g = dy.channel(n, c), d = dx.channel(n, c)
        let arg = argmax + (n * dx.channels + c) * dy.plane
        for i in 0..<dy.plane { d[Int(arg[i])] += g[i] }
    }
}

/// Average pool over windows without padding: y = mean of the kernel² inputs of each window.
func averagePoolForward(_ x: ImageView, window: PoolWindow, y: ImageView) {
    precondition(window.padding == .zero, "average pool takes no padding, got \(window.padding)")
    let area = Float(window.kernel * window.kernel)
    forEachPlane(x) { n, c in
        let src = x.channel(n, c), dst = y.channel(n, c)
        if window.kernel == 2 && window.stride == 2 {
            // DenseNet's transitions: the window unrolled, the general loop's range logic was most of its time.
            for oh in 0..<y.height {
                let r0 = src + 2 * oh * x.width, r1 = r0 + x.width, out = dst + oh * y.width
                for ow in 0..<y.width { out[ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) / area }
            }
            return
        }
        for oh in 0..<y.height {
            for ow in 0..<y.width {
                var sum: Float = 0
                for h in window.span(oh, before: 0, size: x.height) {
                    for w in window.span(ow, before: 0, size: x.width) { sum += src[h * x.width + w] }
                }
                dst[oh * y.width + ow] = sum / area
            }
        }
    }
}

/// Average pool backward: each output's gradient, divided by kernel², to every input of its window.
/// Adds into `dx`.
func averagePoolBackward(dy: ImageView, window: PoolWindow, dx: ImageView) {
    let area = Float(window.kernel * window.kernel)
    forEachPlane(dx) { n, c in
        let g = dy.channel(n, c), d = dx.channel(n, c)
        for oh in 0..<dy.height {
            for ow in 0..<dy.width {
                let share = g[oh * dy.width + ow] / area
                for h in window.span(oh, before: 0, size: dx.height) {
                    for w in window.span(ow, before: 0, size: dx.width) { d[h * dx.width + w] += share }
                }
            }
        }
    }
}

/// Runs `body(n, c)` for every image plane, planes grouped into fixed chunks of whole images.
func forEachPlane(_ x: ImageView, _ body: (Int, Int) -> Void) {
    parallelFor(chunks: x.batch * x.channels) { p in body(p / x.channels, p % x.channels) }
}
