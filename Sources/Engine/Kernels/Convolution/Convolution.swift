// Convolution forward as a tiled implicit GEMM over NCHW images: per image, Y[Cout, pixels] =
// W[Cout, Cin·kh·kw] · columns[Cin·kh·kw, pixels], the columns packed straight from the input
// (stride 1 reads them in place from a padded copy instead: PaddedConvolution.swift).

/// y = conv(x̂, weights) + bias, where x̂ is `input`, or `max(0, scale·input + shift)` per channel when
/// `inputTransform` is given (BatchNorm→ReLU fused into this convolution's packing).
///
/// - `weights`: `[outChannels, inChannels, kernelHeight, kernelWidth]` (PyTorch's layout).
/// - `bias`: `outChannels` values, or nil.
/// - `input` / `output` may be channel slices of larger buffers (DenseNet's block buffer): the
///   convolution reads only the view's channels and overwrites only the output view's channels.
///
/// - `outputMoments`: if given, receives `2·outChannels` values: per output channel the sum of y over
///   batch and pixels, then the sums of squares: the next BatchNorm's batch statistics, gathered while
///   y is still in cache.
///
/// Threads split images (× pixel tiles when strided); each output element is computed by one chunk
/// in a fixed order, and moments are summed per chunk and added in chunk order.
public func convolutionForward(_ g: ConvGeometry, input x: ImageView, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, inputTransform: ConvInputTransform? = nil,
                               output y: ImageView, outputMoments: UnsafeMutablePointer<Double>? = nil) {
    g.checkInput(x, "convolutionForward input")
    g.checkOutput(y, batch: x.batch, "convolutionForward output")
    if PaddedImage.applies(to: g) {
        paddedConvolution(g, input: x, weights: weights, bias: bias, inputTransform: inputTransform, output: y,
                          accumulate: false, outputMoments: outputMoments)
        return
    }
    let k = g.patchSize, m = g.outChannels, plane = g.outputPlane
    let packedW = packWholeA(weights, lda: k, transposed: false, m: m, k: k)
    defer { packedW.deallocate() }
    let tiles = PixelTiles(plane: plane, preferredWidth: 256)
    let moments = OutputMoments(into: outputMoments, channels: m, chunks: x.batch * tiles.count)
    defer { moments?.finish() }
    parallelFor(chunks: x.batch * tiles.count) { chunk in
        let n = chunk / tiles.count, pixels = tiles[chunk % tiles.count]
        let columns = ImplicitColumns(g: g, image: x.channel(n, 0), transform: inputTransform)
        let packedB = PackBuffer(count: min(k, GEMMBlocking.kc) * GEMMBlocking.roundUp(pixels.count, GEMMBlocking.nr))
        defer { packedB.deallocate() }
        let out = y.channel(n, 0) + pixels.lowerBound
        for pc in stride(from: 0, to: k, by: GEMMBlocking.kc) {
            let kc = min(GEMMBlocking.kc, k - pc)
            columns.packColumnSlivers(rows: pc..<(pc + kc), columns: pixels, into: packedB.pointer)
            macroKernel(mc: m, nc: pixels.count, kc: kc, packedA: packedW.pointer + packedW.blockOffset(pc),
                        b: PackedBPanel(base: packedB.pointer, kc: kc), c: out, ldc: plane, alpha: 1,
                        beta: pc == 0 ? 0 : 1)
        }
        for co in 0..<m {
            let row = out + co * plane
            if let bias {
                let b = bias[co]
                for t in 0..<pixels.count { row[t] += b }
            }
            moments?.add(row, count: pixels.count, channel: co, chunk: chunk)
        }
    }
}

/// All of op(A) (m×k) packed once, as consecutive KC-deep blocks of 6-row slivers: the weights of a
/// convolution, shared by every chunk.
struct PackedMatrix {
    let buffer: PackBuffer
    let paddedRows: Int

    var pointer: UnsafeMutablePointer<Float> { buffer.pointer }

    /// Where the block starting at depth `p0` (a multiple of KC) begins.
    func blockOffset(_ p0: Int) -> Int { paddedRows * p0 }

    func deallocate() { buffer.deallocate() }
}

func packWholeA(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, m: Int, k: Int) -> PackedMatrix {
    let paddedRows = GEMMBlocking.roundUp(m, GEMMBlocking.mr)
    let packed = PackedMatrix(buffer: PackBuffer(count: paddedRows * k), paddedRows: paddedRows)
    for pc in stride(from: 0, to: k, by: GEMMBlocking.kc) {
        packA(a, lda: lda, transposed: transposed, i0: 0, mc: m, p0: pc, kc: min(GEMMBlocking.kc, k - pc),
              into: packed.pointer + packed.blockOffset(pc))
    }
    return packed
}

/// A fixed split of an image's pixels into near-equal tiles, each a multiple of 16 wide except the
/// last: the unit of work that keeps a packed B panel cache-sized and gives small batches parallelism.
struct PixelTiles {
    let plane: Int
    let width: Int
    let count: Int

    init(plane: Int, preferredWidth: Int) {
        let wanted = max(1, (plane + preferredWidth - 1) / preferredWidth)
        self.plane = plane
        width = GEMMBlocking.roundUp((plane + wanted - 1) / wanted, GEMMBlocking.nr)
        count = (plane + width - 1) / width
    }

    subscript(i: Int) -> Range<Int> { (i * width)..<min(plane, (i + 1) * width) }
}
