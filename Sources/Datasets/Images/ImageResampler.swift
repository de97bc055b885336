// Resizing decoded images to a data set's declared size: a triangle (bilinear) filter whose support
// grows with the reduction factor, so downscaling averages every source pixel it covers instead of
// sampling a few (no aliasing); upscaling is plain bilinear interpolation. It is Pillow's
// `Image.resize(size, Image.BILINEAR, box=…)` (the filter torchvision's `Resize` uses with
// antialias), computed the way Pillow computes it: weights in 22-bit fixed point, a horizontal pass
// then a vertical one, rounded to 8 bits in between, so the same file gives the same bytes in both.

/// How an image whose shape differs from the declared square becomes that square.
public enum ResizeMode: String, CaseIterable, Sendable, Codable {
    /// Scale so the shorter side fits, then keep the centre (the aspect ratio is kept; the longer
    /// side loses its ends). Done in one resampling of the centre box.
    case crop
    /// Scale each side to fit, distorting the aspect ratio.
    case stretch

    /// The source box `(x0, y0, x1, y1)` of a `width`×`height` image that becomes the output square.
    public func box(width: Int, height: Int) -> (Float, Float, Float, Float) {
        switch self {
        case .stretch: return (0, 0, Float(width), Float(height))
        case .crop:
            let side = Float(min(width, height))
            let x0 = (Float(width) - side) / 2, y0 = (Float(height) - side) / 2
            return (x0, y0, x0 + side, y0 + side)
        }
    }
}

/// One axis's filter: for each output sample, the first input sample it reads, how many, and their
/// fixed-point weights (`kernelSize` slots each).
struct ResampleAxis {
    static let precisionBits = 22
    let first: [Int]
    let count: [Int]
    let weights: [Int32]
    let kernelSize: Int

    /// Pillow's `precompute_coeffs` with the bilinear filter (support 1) and its 8-bit normalisation.
    init(inputSize: Int, from start: Float, to end: Float, outputSize: Int) {
        let scale = Double(end - start) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        let reciprocal = 1 / filterScale  // multiplied, not divided: Pillow's rounding
        kernelSize = Int(support.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outputSize), count = first
        var weights = [Int32](repeating: 0, count: outputSize * kernelSize)
        var taps = [Double](repeating: 0, count: kernelSize)
        for o in 0..<outputSize {
            let center = Double(start) + (Double(o) + 0.5) * scale
            // Pillow rounds by adding 0.5 and truncating toward zero, also for negative values.
            let low = max(Int(center - support + 0.5), 0)
            let n = min(Int(center + support + 0.5), inputSize) - low
            var sum = 0.0
            for i in 0..<max(n, 0) {
                let x = abs((Double(i + low) - center + 0.5) * reciprocal)
                taps[i] = x < 1 ? 1 - x : 0
                sum += taps[i]
            }
            for i in 0..<max(n, 0) {
                let w = sum != 0 ? taps[i] / sum : taps[i]
                let fixed = w * Double(1 << Self.precisionBits)
                weights[o * kernelSize + i] = Int32(fixed < 0 ? fixed - 0.5 : fixed + 0.5)
            }
            first[o] = low
            count[o] = max(n, 0)
        }
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// Where every fixed-point sum starts: one half, so the final shift rounds.
    static let rounding: Int32 = 1 << (precisionBits - 1)

    /// The axis's arrays as pointers, for the inner loops.
    func withPointers<R>(_ body: (UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int32>) -> R) -> R {
        first.withUnsafeBufferPointer { f in count.withUnsafeBufferPointer { c in weights.withUnsafeBufferPointer { w in
            body(f.baseAddress!, c.baseAddress!, w.baseAddress!)
        } } }
    }

    /// A fixed-point sum back to 8 bits, saturating.
    @inline(__always)
    static func clip(_ sum: Int32) -> UInt8 {
        if sum <= 0 { return 0 }
        if sum >= Int32(255) << precisionBits { return 255 }
        return UInt8(truncatingIfNeeded: sum >> precisionBits)
    }
}

/// Resizes images to a square, channel-planar.
public enum ImageResampler {
    /// Writes `image` resized to `side`×`side` by `mode` into `output` (3 × side × side bytes, red
    /// plane, then green, then blue).
    public static func resize(_ image: DecodedImage, to side: Int, mode: ResizeMode,
                              into output: UnsafeMutablePointer<UInt8>) {
        resize(image, width: side, height: side, box: mode.box(width: image.width, height: image.height), into: output)
    }

    /// Writes the `box` (x0, y0, x1, y1, in source pixels) of `image` resized to `width`×`height` into
    /// `output` (3 planes of width × height bytes).
    public static func resize(_ image: DecodedImage, width: Int, height: Int, box: (Float, Float, Float, Float),
                              into output: UnsafeMutablePointer<UInt8>) {
        resample(UnsafePointer(image.pixels), width: image.width, height: image.height, ThreeChannels.self,
                 to: width, height, box: box, into: output)
    }

    /// Writes one `width`×`height` plane of 8-bit samples resized to `side`×`side` by `mode` into
    /// `output` (side × side bytes): for the channels of images already stored planar.
    public static func resizePlane(_ plane: UnsafePointer<UInt8>, width: Int, height: Int, to side: Int, mode: ResizeMode,
                                   into output: UnsafeMutablePointer<UInt8>) {
        resample(plane, width: width, height: height, OneChannel.self, to: side, side,
                 box: mode.box(width: width, height: height), into: output)
    }

    /// Pillow's two passes over interleaved pixels of `C.count` channels, written channel-planar.
    private static func resample<C: PixelChannels>(_ pixels: UnsafePointer<UInt8>, width inputWidth: Int, height inputHeight: Int,
                                                   _: C.Type, to width: Int, _ height: Int, box: (Float, Float, Float, Float),
                                                   into output: UnsafeMutablePointer<UInt8>) {
        let needsHorizontal = width != inputWidth || box.0 != 0 || box.2 != Float(width)
        let needsVertical = height != inputHeight || box.1 != 0 || box.3 != Float(height)
        let vertical = ResampleAxis(inputSize: inputHeight, from: box.1, to: box.3, outputSize: height)
        // The horizontal pass covers only the rows the vertical pass reads.
        let firstRow = needsVertical ? vertical.first[0] : 0
        let lastRow = needsVertical ? vertical.first[height - 1] + vertical.count[height - 1] : inputHeight
        let rows = lastRow - firstRow

        var horizontalOutput: UnsafeMutablePointer<UInt8>?
        defer { horizontalOutput?.deallocate() }
        let source: UnsafePointer<UInt8>
        if needsHorizontal {
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(width * rows * C.count, 1))
            horizontalOutput = buffer
            resampleRows(pixels + firstRow * inputWidth * C.count, rows: rows, inputWidth: inputWidth, C.self,
                         axis: ResampleAxis(inputSize: inputWidth, from: box.0, to: box.2, outputSize: width), into: buffer)
            source = UnsafePointer(buffer)
        } else {
            source = pixels + firstRow * inputWidth * C.count
        }
        let plane = width * height
        guard needsVertical else {
            for i in 0..<plane {
                for c in 0..<C.count { output[c * plane + i] = source[C.count * i + c] }
            }
            return
        }
        let stride = width * C.count
        vertical.withPointers { first, count, weights in
            for y in 0..<height {
                let row = source + (first[y] - firstRow) * stride, k = weights + y * vertical.kernelSize
                for x in 0..<width {
                    let sum = C.sum(row + x * C.count, step: stride, weights: k, taps: count[y])
                    let o = y * width + x
                    output[o] = ResampleAxis.clip(sum.0)
                    if C.count == 3 {
                        output[plane + o] = ResampleAxis.clip(sum.1)
                        output[2 * plane + o] = ResampleAxis.clip(sum.2)
                    }
                }
            }
        }
    }

    /// The horizontal pass: `rows` interleaved rows of `inputWidth` pixels to rows of
    /// `axis.first.count` pixels.
    private static func resampleRows<C: PixelChannels>(_ input: UnsafePointer<UInt8>, rows: Int, inputWidth: Int, _: C.Type,
                                                       axis: ResampleAxis, into output: UnsafeMutablePointer<UInt8>) {
        let width = axis.first.count
        axis.withPointers { first, count, weights in
            for y in 0..<rows {
                let row = input + y * inputWidth * C.count, out = output + y * width * C.count
                for x in 0..<width {
                    let sum = C.sum(row + first[x] * C.count, step: C.count, weights: weights + x * axis.kernelSize, taps: count[x])
                    out[C.count * x] = ResampleAxis.clip(sum.0)
                    if C.count == 3 {
                        out[3 * x + 1] = ResampleAxis.clip(sum.1)
                        out[3 * x + 2] = ResampleAxis.clip(sum.2)
                    }
                }
            }
        }
    }
}

/// How many interleaved 8-bit channels a pixel has (1 or 3), as a type, so each layout's loops are
/// compiled with the count known.
protocol PixelChannels {
    static var count: Int { get }
    /// The fixed-point sums, per channel, of `taps` pixels `step` bytes apart from `p`, weighted by
    /// `weights`, plus the rounding half; unused channels stay 0.
    static func sum(_ p: UnsafePointer<UInt8>, step: Int, weights: UnsafePointer<Int32>, taps: Int) -> (Int32, Int32, Int32)
}

enum OneChannel: PixelChannels {
    static var count: Int { 1 }

    @inline(__always)
    static func sum(_ p: UnsafePointer<UInt8>, step: Int, weights: UnsafePointer<Int32>, taps: Int) -> (Int32, Int32, Int32) {
        var v = ResampleAxis.rounding, q = p
        for i in 0..<taps {
            v &+= Int32(q[0]) &* weights[i]
            q += step
        }
        return (v, 0, 0)
    }
}

enum ThreeChannels: PixelChannels {
    static var count: Int { 3 }

    @inline(__always)
    static func sum(_ p: UnsafePointer<UInt8>, step: Int, weights: UnsafePointer<Int32>, taps: Int) -> (Int32, Int32, Int32) {
        var r = ResampleAxis.rounding, g = r, b = r, q = p
        for i in 0..<taps {
            let w = weights[i]
            r &+= Int32(q[0]) &* w
            g &+= Int32(q[1]) &* w
            b &+= Int32(q[2]) &* w
            q += step
        }
        return (r, g, b)
    }
}
