// Stride-1 convolutions over a staged copy of the input (`StagedImages`: zero-padded, transformed),
// read in place: with output pixels indexed across the padded width, every row of the im2col matrix is one contiguous run
// of that copy, so B needs no packing and the fused BN-ReLU transform runs once per input element, not
// once per tap. A 1x1 unpadded convolution is then a plain GEMM over the copied image.

/// Forward of a stride-1 convolution (see `StagedImages`), adding into `y` when `accumulate`.
func stagedForward(_ g: ConvGeometry, input x: ImageView, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                   inputTransform: ConvInputTransform?, output y: ImageView, accumulate: Bool,
                   outputMoments: UnsafeMutablePointer<Double>? = nil) {
    let k = g.patchSize, m = g.outChannels
    let packedW = packWholeA(weights, lda: k, transposed: false, m: m, k: k)
    defer { packedW.deallocate() }
    // A chunk is a row of images side by side (several only on tiny planes) or, for large batches, a
    // few rows, so a chunk's padded copy is set up once for all of them. Small batches also split a
    // row's tiles, so inference on one image still uses every thread. All of it depends on the shape.
    let slots = StagedImages.imagesPerRow(g, batch: x.batch)
    let rows = (x.batch + slots - 1) / slots
    let tiles = PixelTiles(plane: StagedImages.span(g, images: slots), preferredWidth: 256)
    let parts = rows >= 4 ? 1 : min(tiles.count, 4)
    let rowsPerChunk = max(1, rows / 16)
    let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk * parts
    // One image of a 1-wide kernel drops no columns: the GEMM writes straight into y.
    let direct = g.kernelWidth == 1 && slots == 1
    let moments = OutputMoments(into: outputMoments, channels: m, chunks: chunks)
    defer { moments?.finish() }
    parallelFor(chunks: chunks) { chunk in
        let firstRow = chunk / parts * rowsPerChunk, part = chunk % parts
        let image = StagedImages(g, images: slots)
        let tile = direct ? nil : PackBuffer(count: m * tiles.width)
        defer { image.deallocate(); tile?.deallocate() }
        var runs: [StagedImages.ValidRun] = []
        for row in firstRow..<min(rows, firstRow + rowsPerChunk) {
            let batch = (row * slots)..<min(x.batch, (row + 1) * slots)
            image.load(x, batch, transform: inputTransform)
            for t in (part * tiles.count / parts)..<((part + 1) * tiles.count / parts) {
                let pixels = tiles[t]
                let c = tile?.pointer ?? y.channel(batch.lowerBound, 0) + pixels.lowerBound
                for pc in stride(from: 0, to: k, by: GEMMBlocking.kc) {
                    macroKernel(mc: m, nc: pixels.count, kc: min(GEMMBlocking.kc, k - pc),
                                packedA: packedW.pointer + packedW.blockOffset(pc),
                                b: image.panel(q0: pixels.lowerBound, p0: pc), c: c, ldc: direct ? y.plane : tiles.width,
                                alpha: 1, beta: pc == 0 && !(direct && accumulate) ? 0 : 1)
                }
                if let tile {
                    image.validRuns(pixels, slots: batch.count, into: &runs)
                    storeValidColumns(of: tile.pointer, ldc: tiles.width, pixels: pixels, runs: runs, into: y, batch,
                                      bias: bias, accumulate: accumulate, moments: moments, chunk: chunk)
                } else {
                    finishInPlace(y, batch.lowerBound, pixels: pixels, bias: bias, moments: moments, chunk: chunk)
                }
            }
        }
    }
}

/// Copies the computed wide pixels `pixels` of every output channel to the images `batch` of `y`
/// (+ bias), keeping only the valid `runs` among them, and adds what it wrote to `moments`.
private func storeValidColumns(of tile: UnsafeMutablePointer<Float>, ldc: Int, pixels: Range<Int>, runs: [StagedImages.ValidRun],
                               into y: ImageView, _ batch: Range<Int>, bias: UnsafePointer<Float>?, accumulate: Bool,
                               moments: OutputMoments?, chunk: Int) {
    for co in 0..<y.channels {
        let src = tile + co * ldc, b = SIMD8<Float>(repeating: bias?[co] ?? 0)
        var lanes = MomentLanes()
        for run in runs {
            let to = y.channel(batch.lowerBound + run.slot, co) + run.oy * y.width + run.ox
            let from = src + (run.q - pixels.lowerBound)
            forEachOctet(0..<run.count) { t, count in
                let v = accumulate ? loadOctet(to + t, count) + (loadOctet(from + t, count) + b)
                                   : loadOctet(from + t, count) + b
                storeOctet(v, to + t, count)
            }
            if moments != nil { lanes.add(to, count: run.count) }
        }
        moments?.add(lanes, channel: co, chunk: chunk)
    }
}

/// Adds the bias to the pixels `pixels` the GEMM wrote into `y` in place, and adds them to `moments`.
private func finishInPlace(_ y: ImageView, _ n: Int, pixels: Range<Int>, bias: UnsafePointer<Float>?,
                           moments: OutputMoments?, chunk: Int) {
    for co in 0..<y.channels {
        let row = y.channel(n, co) + pixels.lowerBound
        if let bias {
            let b = bias[co]
            for t in 0..<pixels.count { row[t] += b }
        }
        moments?.add(row, count: pixels.count, channel: co, chunk: chunk)
    }
}

/// Adds dW (and db) of a stride-1 convolution into `partials` (see `convolutionBackwardWeights`).
/// Output gradients are laid out across the padded width with zeros in the dropped columns, so the
/// garbage columns of the im2col rows contribute nothing; on tiny planes images sit side by side, so
/// one GEMM's depth covers several of them.
func stagedBackwardWeights(_ g: ConvGeometry, input x: ImageView, inputTransform: ConvInputTransform?,
                           outputGradient dy: ImageView, partials: UnsafeMutablePointer<Float>, groups: Int) {
    let k = g.patchSize, m = g.outChannels
    let slots = StagedImages.imagesPerRow(g, batch: x.batch)
    parallelFor(chunks: groups) { group in
        let part = partials + group * k * m
        let image = StagedImages(g, images: slots)
        let wideGradient = PackBuffer(count: m * image.span)
        wideGradient.pointer.initialize(repeating: 0, count: m * image.span)
        let zeros = PackBuffer(count: GEMMBlocking.kc)
        zeros.pointer.initialize(repeating: 0, count: GEMMBlocking.kc)
        let packedB = PackBuffer(count: GEMMBlocking.kc * GEMMBlocking.roundUp(m, GEMMBlocking.nr))
        defer { image.deallocate(); wideGradient.deallocate(); zeros.deallocate(); packedB.deallocate() }
        var first = true
        let images = (group * x.batch / groups)..<((group + 1) * x.batch / groups)
        for n0 in stride(from: images.lowerBound, to: images.upperBound, by: slots) {
            let batch = n0..<min(images.upperBound, n0 + slots)
            image.load(x, batch, transform: inputTransform)
            // Slots past the last image keep an earlier image's gradient; their input slots are zero.
            for (slot, n) in batch.enumerated() {
                for co in 0..<m {
                    for oy in 0..<g.outputHeight {
                        (wideGradient.pointer + co * image.span + oy * image.rowWidth + slot * image.slotWidth)
                            .update(from: dy.channel(n, co) + oy * g.outputWidth, count: g.outputWidth)
                    }
                }
            }
            for pc in stride(from: 0, to: image.span, by: GEMMBlocking.kc) {
                let kc = min(GEMMBlocking.kc, image.span - pc)
                packB(wideGradient.pointer, ldb: image.span, transposed: true, p0: pc, kc: kc, j0: 0, nc: m,
                      into: packedB.pointer)
                image.multiplyRows(pixels: pc..<(pc + kc), by: packedB.pointer, m: m, into: part,
                                   zeros: zeros.pointer, beta: first ? 0 : 1)
                first = false
            }
        }
    }
}
