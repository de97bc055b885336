// Convolution backward passes as implicit GEMMs: data (stride 1: a forward convolution with flipped
// weights; else columns = Wᵀ·dY scattered onto the input) and weights (dWᵀ = columns·dYᵀ, reduced over
// fixed image groups in a fixed order).

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
        paddedConvolution(flipped, input: dy, weights: flippedWeights, bias: nil, inputTransform: nil, output: dx,
                          accumulate: accumulate)
        return
    }
    let k = g.patchSize, depth = g.outChannels, plane = g.outputPlane
    let packedWt = packWholeA(weights, lda: k, transposed: true, m: k, k: depth)
    defer { packedWt.deallocate() }
    let tiles = PixelTiles(plane: plane, preferredWidth: 128)
    parallelFor(chunks: dx.batch) { n in
        if !accumulate {
            for ci in 0..<g.inChannels { dx.channel(n, ci).update(repeating: 0, count: g.inputPlane) }
        }
        let columns = ImplicitColumns(g: g, image: dx.channel(n, 0), transform: nil)
        let columnTile = PackBuffer(count: k * tiles.width)
        defer { columnTile.deallocate() }
        for t in 0..<tiles.count {
            let pixels = tiles[t]
            gradientColumns(dy: dy, n: n, pixels: pixels, packedWt: packedWt, k: k, depth: depth,
                            into: columnTile.pointer, ldc: tiles.width)
            for kk in 0..<k {
                columns.scatterAdd(row: kk, q0: pixels.lowerBound, count: pixels.count,
                                   from: columnTile.pointer + kk * tiles.width)
            }
        }
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

/// C[k, pixels] = Wᵀ · dY[:, pixels] for image `n`.
private func gradientColumns(dy: ImageView, n: Int, pixels: Range<Int>, packedWt: PackedMatrix, k: Int, depth: Int,
                             into c: UnsafeMutablePointer<Float>, ldc: Int) {
    let packedB = PackBuffer(count: min(depth, GEMMBlocking.kc) * GEMMBlocking.roundUp(pixels.count, GEMMBlocking.nr))
    defer { packedB.deallocate() }
    for pc in stride(from: 0, to: depth, by: GEMMBlocking.kc) {
        let kc = min(GEMMBlocking.kc, depth - pc)
        packB(dy.channel(n, 0), ldb: dy.plane, transposed: false, p0: pc, kc: kc, j0: pixels.lowerBound,
              nc: pixels.count, into: packedB.pointer)
        macroKernel(mc: k, nc: pixels.count, kc: kc, packedA: packedWt.pointer + packedWt.blockOffset(pc),
                    b: PackedBPanel(base: packedB.pointer, kc: kc), c: c, ldc: ldc, alpha: 1, beta: pc == 0 ? 0 : 1)
    }
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
    if PaddedImage.applies(to: g) {
        paddedBackwardWeights(g, input: x, inputTransform: inputTransform, outputGradient: dy,
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

/// dWᵀ partials of fixed image groups, columns rebuilt by `ImplicitColumns` (any stride).
private func implicitBackwardWeights(_ g: ConvGeometry, input x: ImageView, inputTransform: ConvInputTransform?,
                                     outputGradient dy: ImageView, partials: UnsafeMutablePointer<Float>, groups: Int) {
    let k = g.patchSize, m = g.outChannels, plane = g.outputPlane
    parallelFor(chunks: groups) { group in
        let part = partials + group * k * m
        let packedA = PackBuffer(count: GEMMBlocking.roundUp(min(k, GEMMBlocking.mc), GEMMBlocking.mr) * GEMMBlocking.kc)
        let packedB = PackBuffer(count: GEMMBlocking.kc * GEMMBlocking.roundUp(m, GEMMBlocking.nr))
        defer { packedA.deallocate(); packedB.deallocate() }
        var first = true
        for n in (group * x.batch / groups)..<((group + 1) * x.batch / groups) {
            let columns = ImplicitColumns(g: g, image: x.channel(n, 0), transform: inputTransform)
            for pc in stride(from: 0, to: plane, by: GEMMBlocking.kc) {
                let kc = min(GEMMBlocking.kc, plane - pc)
                packB(dy.channel(n, 0), ldb: plane, transposed: true, p0: pc, kc: kc, j0: 0, nc: m,
                      into: packedB.pointer)
                for ic in stride(from: 0, to: k, by: GEMMBlocking.mc) {
                    let mc = min(GEMMBlocking.mc, k - ic)
                    columns.packRowSlivers(rows: ic..<(ic + mc), columns: pc..<(pc + kc), into: packedA.pointer)
                    macroKernel(mc: mc, nc: m, kc: kc, packedA: packedA.pointer,
                                b: PackedBPanel(base: packedB.pointer, kc: kc), c: part + ic * m, ldc: m,
                                alpha: 1, beta: first ? 0 : 1)
                }
                first = false
            }
        }
    }
}
