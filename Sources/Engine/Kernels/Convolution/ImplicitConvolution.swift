// Convolution as an implicit GEMM over NCHW images, for any stride: per image, Y[Cout, pixels] =
// W[Cout, Cin·kh·kw] · columns[Cin·kh·kw, pixels], the columns packed from the input as the GEMM
// needs them (`ImplicitColumns`), never stored whole. Forward, backward-data and backward-weights.

/// Forward over columns packed straight from the input, per image and pixel tile (any stride).
func implicitForward(_ g: ConvGeometry, input x: ImageView, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     inputTransform: ConvInputTransform?, output y: ImageView, outputMoments: UnsafeMutablePointer<Double>?) {
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

/// The strided backward-data: gradient columns Wᵀ·dY per pixel tile, scattered onto the input.
func implicitBackwardData(_ g: ConvGeometry, outputGradient dy: ImageView, weights: UnsafePointer<Float>,
                          inputGradient dx: ImageView, accumulate: Bool) {
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

/// dWᵀ partials of fixed image groups, columns rebuilt by `ImplicitColumns` (any stride).
func implicitBackwardWeights(_ g: ConvGeometry, input x: ImageView, inputTransform: ConvInputTransform?,
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
