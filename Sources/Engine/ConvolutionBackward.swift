// Convolution backward passes as implicit GEMMs: data (columns = Wᵀ·dY, scattered back onto the
// input) and weights (dWᵀ = columns·dYᵀ, reduced over fixed image groups in a fixed order).

/// The gradient with respect to the convolution's input x̂ (the transformed input when the forward
/// used an `inputTransform`: the BatchNorm/ReLU backward is the caller's), given `outputGradient`.
///
/// - `accumulate`: add into `inputGradient` instead of overwriting it; DenseNet layers that read the
///   same block-buffer channels sum their gradients this way.
/// - Only the view's channels of `inputGradient` are touched.
///
/// Threads split images (and pixel tiles for 1x1 convolutions); each input-gradient element is
/// written by one chunk in a fixed order.
public func convolutionBackwardData(_ g: ConvGeometry, outputGradient dy: ImageView, weights: UnsafePointer<Float>,
                                    inputGradient dx: ImageView, accumulate: Bool = false) {
    g.checkInput(dx, "convolutionBackwardData input gradient")
    g.checkOutput(dy, batch: dx.batch, "convolutionBackwardData output gradient")
    let k = g.patchSize, depth = g.outChannels, plane = g.outputPlane
    let packedWt = packWholeA(weights, lda: k, transposed: true, m: k, k: depth)
    defer { packedWt.deallocate() }

    if g.isPointwise {
        // dX[Cin, pixels] = Wᵀ · dY[Cout, pixels], straight into the input gradient.
        let tiles = PixelTiles(plane: plane, preferredWidth: 256)
        parallelFor(chunks: dx.batch * tiles.count) { chunk in
            let n = chunk / tiles.count, pixels = tiles[chunk % tiles.count]
            gradientColumns(dy: dy, n: n, pixels: pixels, packedWt: packedWt, k: k, depth: depth,
                            into: dx.channel(n, 0) + pixels.lowerBound, ldc: plane, accumulate: accumulate)
        }
        return
    }
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
                            into: columnTile.pointer, ldc: tiles.width, accumulate: false)
            for kk in 0..<k {
                columns.scatterAdd(row: kk, q0: pixels.lowerBound, count: pixels.count,
                                   from: columnTile.pointer + kk * tiles.width)
            }
        }
    }
}

/// C[k, pixels] (+)= Wᵀ · dY[:, pixels] for image `n`.
private func gradientColumns(dy: ImageView, n: Int, pixels: Range<Int>, packedWt: PackedMatrix, k: Int, depth: Int,
                             into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let packedB = PackBuffer(count: min(depth, GEMMBlocking.kc) * GEMMBlocking.roundUp(pixels.count, GEMMBlocking.nr))
    defer { packedB.deallocate() }
    for pc in stride(from: 0, to: depth, by: GEMMBlocking.kc) {
        let kc = min(GEMMBlocking.kc, depth - pc)
        packB(dy.channel(n, 0), ldb: dy.plane, transposed: false, p0: pc, kc: kc, j0: pixels.lowerBound,
              nc: pixels.count, into: packedB.pointer)
        macroKernel(mc: k, nc: pixels.count, kc: kc, packedA: packedWt.pointer + packedWt.blockOffset(pc),
                    packedB: packedB.pointer, c: c, ldc: ldc, alpha: 1,
                    beta: pc == 0 && !accumulate ? 0 : 1)
    }
}

/// Adds the gradients of the weights (and of the bias, if `biasGradient` is given) into
/// `weightGradient` (`[outChannels, inChannels, kh, kw]`) and `biasGradient` (`outChannels`).
///
/// `input` and `inputTransform` must be what the forward saw: the columns are rebuilt from them.
/// Images are split into at most 8 fixed groups (by batch size only); each group sums its images in
/// order into its own partial, and the partials are added in group order, so the result does not
/// depend on the thread count.
public func convolutionBackwardWeights(_ g: ConvGeometry, input x: ImageView, inputTransform: ConvInputTransform? = nil,
                                       outputGradient dy: ImageView, weightGradient dw: UnsafeMutablePointer<Float>,
                                       biasGradient db: UnsafeMutablePointer<Float>?) {
    g.checkInput(x, "convolutionBackwardWeights input")
    g.checkOutput(dy, batch: x.batch, "convolutionBackwardWeights output gradient")
    let k = g.patchSize, m = g.outChannels, plane = g.outputPlane
    let groups = min(x.batch, 8)
    let partials = PackBuffer(count: groups * (k * m + m))
    defer { partials.deallocate() }

    parallelFor(chunks: groups) { group in
        let part = partials.pointer + group * (k * m + m), biasPart = part + k * m
        biasPart.update(repeating: 0, count: m)
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
                    macroKernel(mc: mc, nc: m, kc: kc, packedA: packedA.pointer, packedB: packedB.pointer,
                                c: part + ic * m, ldc: m, alpha: 1, beta: first ? 0 : 1)
                }
                first = false
            }
            if db != nil {
                for co in 0..<m {
                    let row = dy.channel(n, co)
                    var sum: Float = 0
                    for q in 0..<plane { sum += row[q] }
                    biasPart[co] += sum
                }
            }
        }
    }

    // Partials are dWᵀ [k, m]; sum them in group order into dW [m, k].
    let rowChunks = min(m, 8)
    parallelFor(chunks: rowChunks) { chunk in
        for co in (chunk * m / rowChunks)..<((chunk + 1) * m / rowChunks) {
            for kk in 0..<k {
                var sum: Float = 0
                for group in 0..<groups { sum += partials.pointer[group * (k * m + m) + kk * m + co] }
                dw[co * k + kk] += sum
            }
            if let db {
                var sum: Float = 0
                for group in 0..<groups { sum += partials.pointer[group * (k * m + m) + k * m + co] }
                db[co] += sum
            }
        }
    }
}
