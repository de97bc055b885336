// The convolution's three entry points — forward, backward-data, backward-weights — and which path
// computes each: stride-1 convolutions read a staged, zero-padded copy of the input in place
// (StagedConvolution.swift); other strides pack im2col columns straight from the input
// (ImplicitConvolution.swift). Both multiply with the GEMM's macro-kernel and 6x16 microkernel.

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
    if StagedImages.applies(to: g) {
        stagedForward(g, input: x, weights: weights, bias: bias, inputTransform: inputTransform, output: y,
                      accumulate: false, outputMoments: outputMoments)
    } else {
        implicitForward(g, input: x, weights: weights, bias: bias, inputTransform: inputTransform, output: y,
                        outputMoments: outputMoments)
    }
}

/// The gradient with respect to the convolution's input x̂ (the transformed input when the forward
/// used an `inputTransform`: the BatchNorm/ReLU backward is the caller's), given `outputGradient`.
///
/// - `accumulate`: add into `inputGradient` instead of overwriting it; DenseNet layers that read the
///   same block-buffer channels sum their gradients this way.
/// - Only the view's channels of `inputGradient` are touched.
///
/// Stride 1 runs as a forward convolution of the output gradient with the flipped, transposed weights;
/// other strides compute gradient columns Wᵀ·dY per pixel tile and scatter them onto the input.
/// Either way each input-gradient element is written by one chunk in a fixed order.
public func convolutionBackwardData(_ g: ConvGeometry, outputGradient dy: ImageView, weights: UnsafePointer<Float>,
                                    inputGradient dx: ImageView, accumulate: Bool = false) {
    g.checkInput(dx, "convolutionBackwardData input gradient")
    g.checkOutput(dy, batch: dx.batch, "convolutionBackwardData output gradient")
    if let flipped = g.transposedForStrideOne {
        let flippedWeights = flippedTransposedWeights(g, weights)
        defer { flippedWeights.deallocate() }
        stagedForward(flipped, input: dy, weights: flippedWeights, bias: nil, inputTransform: nil, output: dx,
                      accumulate: accumulate)
    } else {
        implicitBackwardData(g, outputGradient: dy, weights: weights, inputGradient: dx, accumulate: accumulate)
    }
}

/// `w'[ci, co, ky, kx] = w[co, ci, kh−1−ky, kw−1−kx]`: the weights of the stride-1 backward-data
/// convolution (caller deallocates).
private func flippedTransposedWeights(_ g: ConvGeometry, _ w: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
    let kh = g.kernelHeight, kw = g.kernelWidth, area = kh * kw
    let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.weightCount)
    for co in 0..<g.outChannels {
        for ci in 0..<g.inChannels {
            let from = w + (co * g.inChannels + ci) * area, to = flipped + (ci * g.outChannels + co) * area
            for i in 0..<area { to[area - 1 - i] = from[i] }
        }
    }
    return flipped
}

/// Adds the gradients of the weights (and of the bias, if `biasGradient` is given) into
/// `weightGradient` (`[outChannels, inChannels, kh, kw]`) and `biasGradient` (`outChannels`).
///
/// `input` and `inputTransform` must be what the forward saw: the columns are rebuilt from them.
/// Images are split into fixed groups (by the problem shape only, see `backwardWeightGroups`); each
/// group sums its images in order into its own partial, and the partials are added in group order, so
/// the result does not depend on the thread count.
public func convolutionBackwardWeights(_ g: ConvGeometry, input x: ImageView, inputTransform: ConvInputTransform? = nil,
                                       outputGradient dy: ImageView, weightGradient dw: UnsafeMutablePointer<Float>,
                                       biasGradient db: UnsafeMutablePointer<Float>?) {
    g.checkInput(x, "convolutionBackwardWeights input")
    g.checkOutput(dy, batch: x.batch, "convolutionBackwardWeights output gradient")
    let k = g.patchSize, m = g.outChannels, plane = g.outputPlane
    let groups = backwardWeightGroups(batch: x.batch, plane: plane)
    let partials = PackBuffer(count: groups * k * m)
    defer { partials.deallocate() }
    if StagedImages.applies(to: g) {
        stagedBackwardWeights(g, input: x, inputTransform: inputTransform, outputGradient: dy,
                              partials: partials.pointer, groups: groups)
    } else {
        implicitBackwardWeights(g, input: x, inputTransform: inputTransform, outputGradient: dy,
                                partials: partials.pointer, groups: groups)
    }
    addTransposedPartials(partials.pointer, groups: groups, k: k, m: m, into: dw)
    if let db {
        let channelChunks = min(m, 8)
        parallelFor(chunks: channelChunks) { chunk in
            for co in (chunk * m / channelChunks)..<((chunk + 1) * m / channelChunks) {
                var sum: Float = 0
                for n in 0..<x.batch {
                    let row = dy.channel(n, co)
                    for q in 0..<plane { sum += row[q] }
                }
                db[co] += sum
            }
        }
    }
}

/// How many image groups the weight gradient is split into: at most 8, at most one per image, and
/// only as many as give each about `GEMMBlocking.kc` pixels (but 2 where there are 2 images). Each
/// group writes and the reduction reads a whole k×m partial, so on tiny planes (DenseNet's 1×1 and
/// 2×2 late blocks) more groups cost more in partials than their rank-few updates save.
/// Depends on the shape only, never on the thread count.
func backwardWeightGroups(batch: Int, plane: Int) -> Int {
    let byPixels = max(2, batch * plane / GEMMBlocking.kc)
    return max(1, min(batch, 8, byPixels))
}

/// `dw[co, kk] += Σ_group partials[group][kk, co]`, each element summed from zero in group order (so
/// the chunking below never changes a bit). Tiles of dWᵀ rows are summed contiguously eight floats at
/// a time into a scratch tile, then transposed into dW; tiles write disjoint parts of dW.
private func addTransposedPartials(_ partials: UnsafePointer<Float>, groups: Int, k: Int, m: Int,
                                   into dw: UnsafeMutablePointer<Float>) {
    let tileRows = 16
    parallelFor(chunks: (k + tileRows - 1) / tileRows) { tile in
        let rows = (tile * tileRows)..<min(k, (tile + 1) * tileRows)
        let sums = PackBuffer(count: tileRows * m)
        defer { sums.deallocate() }
        let first = rows.lowerBound * m, count = rows.count * m
        forEachOctet(0..<count) { i, lanes in
            var sum = SIMD8<Float>()
            for group in 0..<groups { sum += loadOctet(partials + group * k * m + first + i, lanes) }
            storeOctet(sum, sums.pointer + i, lanes)
        }
        for co in 0..<m {
            let to = dw + co * k + rows.lowerBound
            for r in 0..<rows.count { to[r] += sums.pointer[r * m + co] }
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
