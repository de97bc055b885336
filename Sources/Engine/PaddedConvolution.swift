// Stride-1 convolutions over a zero-padded copy of each image, read in place: with output pixels
// indexed across the padded width, every row of the im2col matrix is one contiguous run of that copy,
// so B needs no packing and the fused BN-ReLU transform runs once per input element, not once per tap.
// A 1x1 unpadded convolution is then a plain GEMM over the copied image (no dropped columns).

/// One image of a stride-1 convolution's input, zero-padded and transformed, plus the im2col row
/// offsets into it. Output "wide" pixel `q = oy·paddedWidth + ox` (ox < paddedWidth) reads, for row
/// `kk = (ci, ky, kx)`, the float at `offsets[kk] + q`; columns with ox ≥ outputWidth are garbage and
/// are dropped (forward) or met by zero output gradients (backward-weights).
struct PaddedImage {
    let g: ConvGeometry
    let paddedWidth: Int
    let paddedPlane: Int
    /// Wide output pixels: `outputHeight · paddedWidth`.
    let span: Int
    private let storage: PackBuffer
    let offsets: UnsafeMutablePointer<Int>

    /// Whether a convolution can take this path: stride 1, and padding smaller than the kernel.
    static func applies(to g: ConvGeometry) -> Bool {
        g.strideY == 1 && g.strideX == 1 && max(g.padTop, g.padBottom) < g.kernelHeight
            && max(g.padLeft, g.padRight) < g.kernelWidth
    }

    static func span(_ g: ConvGeometry) -> Int { g.outputHeight * (g.inputWidth + g.padLeft + g.padRight) }

    init(_ g: ConvGeometry) {
        self.g = g
        paddedWidth = g.inputWidth + g.padLeft + g.padRight
        paddedPlane = paddedWidth * (g.inputHeight + g.padTop + g.padBottom)
        span = PaddedImage.span(g)
        // The last 16-wide sliver of the last row reads up to kernelWidth + 15 floats past the planes.
        let count = g.inChannels * paddedPlane + g.kernelWidth + GEMMBlocking.nr
        storage = PackBuffer(count: count)
        // Zero only what `load` never writes: the border of each plane and the slack after the last.
        let top = g.padTop * paddedWidth, interiorEnd = (g.padTop + g.inputHeight) * paddedWidth
        for ci in 0..<g.inChannels {
            let plane = storage.pointer + ci * paddedPlane
            plane.initialize(repeating: 0, count: top)
            for iy in 0..<g.inputHeight {
                let row = plane + top + iy * paddedWidth
                row.initialize(repeating: 0, count: g.padLeft)
                (row + g.padLeft + g.inputWidth).initialize(repeating: 0, count: g.padRight)
            }
            (plane + interiorEnd).initialize(repeating: 0, count: paddedPlane - interiorEnd)
        }
        (storage.pointer + g.inChannels * paddedPlane).initialize(repeating: 0, count: g.kernelWidth + GEMMBlocking.nr)
        offsets = .allocate(capacity: g.patchSize)
        for kk in 0..<g.patchSize {
            let area = g.kernelHeight * g.kernelWidth, ci = kk / area, r = kk % area
            offsets[kk] = ci * paddedPlane + (r / g.kernelWidth) * paddedWidth + r % g.kernelWidth
        }
    }

    private var base: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// Copies image `n` of `x`, transformed, inside the zero border (written once at init, never
    /// overwritten, so the same buffer serves image after image).
    func load(_ x: ImageView, _ n: Int, transform: ConvInputTransform?) {
        for ci in 0..<g.inChannels {
            let scale = transform?.scale[ci] ?? 1, shift = transform?.shift[ci] ?? 0
            let plane = storage.pointer + ci * paddedPlane + g.padTop * paddedWidth + g.padLeft
            let source = UnsafePointer(x.channel(n, ci))
            if paddedWidth == g.inputWidth {  // no left/right padding: the rows are one run
                copyRun(source, to: plane, count: g.inputPlane, transformed: transform != nil, scale: scale, shift: shift)
                continue
            }
            for iy in 0..<g.inputHeight {
                copyRun(source + iy * g.inputWidth, to: plane + iy * paddedWidth, count: g.inputWidth,
                        transformed: transform != nil, scale: scale, shift: shift)
            }
        }
    }

    /// The B panel of wide pixels `q0...` for im2col rows from `p0` on.
    func panel(q0: Int, p0: Int) -> OffsetBPanel { OffsetBPanel(base: base + q0, offsets: offsets + p0) }

    /// Adds dWᵀ[rows of the im2col matrix, m] += columns[:, pixels] · packed B, reading the im2col rows
    /// in place (`zeros`: `pixels.count` zeros for the rows past the last 6-row group).
    func multiplyRows(pixels: Range<Int>, by packedB: UnsafePointer<Float>, m: Int, into part: UnsafeMutablePointer<Float>,
                      zeros: UnsafePointer<Float>, beta: Float) {
        let mr = GEMMBlocking.mr, nr = GEMMBlocking.nr, k = g.patchSize, kc = pixels.count
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: mr) { rows in
            for jr in stride(from: 0, to: m, by: nr) {
                for ir in stride(from: 0, to: k, by: mr) {
                    for r in 0..<mr {
                        rows[r] = ir + r < k ? base + offsets[ir + r] + pixels.lowerBound : zeros
                    }
                    microkernel6x16Rows(kc: kc, aRows: UnsafePointer(rows.baseAddress!), b: packedB + jr * kc,
                                        c: part + ir * m + jr, ldc: m, rows: min(mr, k - ir), cols: min(nr, m - jr),
                                        alpha: 1, beta: beta)
                }
            }
        }
    }

    func deallocate() {
        storage.deallocate()
        offsets.deallocate()
    }
}

/// Forward of a stride-1 convolution (see `PaddedImage`), adding into `y` when `accumulate`.
func paddedConvolution(_ g: ConvGeometry, input x: ImageView, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                       inputTransform: ConvInputTransform?, output y: ImageView, accumulate: Bool,
                       outputMoments: UnsafeMutablePointer<Double>? = nil) {
    let k = g.patchSize, m = g.outChannels
    let packedW = packWholeA(weights, lda: k, transposed: false, m: m, k: k)
    defer { packedW.deallocate() }
    let tiles = PixelTiles(plane: PaddedImage.span(g), preferredWidth: 256)
    // Small batches also split each image's tiles, so inference on one image still uses every thread;
    // large ones give each chunk a few images, so its padded copy is set up once for all of them.
    // Both splits depend on the batch size only.
    let parts = x.batch >= 4 ? 1 : min(tiles.count, 4)
    let imagesPerChunk = max(1, x.batch / 16)
    let chunks = (x.batch + imagesPerChunk - 1) / imagesPerChunk * parts
    // A 1-wide kernel drops no columns: the GEMM writes straight into y.
    let direct = g.kernelWidth == 1
    let moments = OutputMoments(into: outputMoments, channels: m, chunks: chunks)
    defer { moments?.finish() }
    parallelFor(chunks: chunks) { chunk in
        let first = chunk / parts * imagesPerChunk, part = chunk % parts
        let image = PaddedImage(g)
        let tile = direct ? nil : PackBuffer(count: m * tiles.width)
        defer { image.deallocate(); tile?.deallocate() }
        for n in first..<min(x.batch, first + imagesPerChunk) {
            image.load(x, n, transform: inputTransform)
            for t in (part * tiles.count / parts)..<((part + 1) * tiles.count / parts) {
                let pixels = tiles[t]
                let c = tile?.pointer ?? y.channel(n, 0) + pixels.lowerBound, ldc = direct ? y.plane : tiles.width
                for pc in stride(from: 0, to: k, by: GEMMBlocking.kc) {
                    macroKernel(mc: m, nc: pixels.count, kc: min(GEMMBlocking.kc, k - pc),
                                packedA: packedW.pointer + packedW.blockOffset(pc),
                                b: image.panel(q0: pixels.lowerBound, p0: pc), c: c, ldc: ldc,
                                alpha: 1, beta: pc == 0 && !(direct && accumulate) ? 0 : 1)
                }
                if let tile {
                    storeValidColumns(of: tile.pointer, ldc: tiles.width, pixels: pixels, wideWidth: image.paddedWidth,
                                      into: y, n, bias: bias, accumulate: accumulate, moments: moments, chunk: chunk)
                } else {
                    finishInPlace(y, n, pixels: pixels, bias: bias, moments: moments, chunk: chunk)
                }
            }
        }
    }
}

/// Copies the computed wide pixels `pixels` of every output channel to `y` (+ bias), dropping the
/// columns past the output width, and adds what it wrote to `moments`.
private func storeValidColumns(of tile: UnsafeMutablePointer<Float>, ldc: Int, pixels: Range<Int>, wideWidth: Int,
                               into y: ImageView, _ n: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                               moments: OutputMoments?, chunk: Int) {
    for co in 0..<y.channels {
        let out = y.channel(n, co), src = tile + co * ldc, b = SIMD8<Float>(repeating: bias?[co] ?? 0)
        var lanes = MomentLanes()
        var q = pixels.lowerBound
        while q < pixels.upperBound {
            let oy = q / wideWidth, ox = q - oy * wideWidth
            let end = min(pixels.upperBound, (oy + 1) * wideWidth)
            let valid = max(0, min(end - q, y.width - ox))
            let to = out + oy * y.width + ox, from = src + (q - pixels.lowerBound)
            forEachOctet(0..<valid) { t, count in
                let v = accumulate ? loadOctet(to + t, count) + (loadOctet(from + t, count) + b)
                                   : loadOctet(from + t, count) + b
                storeOctet(v, to + t, count)
                if moments != nil { lanes.add(count == 8 ? v : loadOctet(to + t, count)) }
            }
            q = end
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

/// Adds dW (and db) of a stride-1 convolution into `dw`/`db` (see `convolutionBackwardWeights`).
/// Output gradients are laid out across the padded width with zeros in the dropped columns, so the
/// garbage columns of the im2col rows contribute nothing.
func paddedBackwardWeights(_ g: ConvGeometry, input x: ImageView, inputTransform: ConvInputTransform?,
                           outputGradient dy: ImageView, partials: UnsafeMutablePointer<Float>, groups: Int) {
    let k = g.patchSize, m = g.outChannels
    parallelFor(chunks: groups) { group in
        let part = partials + group * k * m
        let image = PaddedImage(g)
        let wideGradient = PackBuffer(count: m * image.span)
        wideGradient.pointer.initialize(repeating: 0, count: m * image.span)
        let zeros = PackBuffer(count: GEMMBlocking.kc)
        zeros.pointer.initialize(repeating: 0, count: GEMMBlocking.kc)
        let packedB = PackBuffer(count: GEMMBlocking.kc * GEMMBlocking.roundUp(m, GEMMBlocking.nr))
        defer { image.deallocate(); wideGradient.deallocate(); zeros.deallocate(); packedB.deallocate() }
        var first = true
        for n in (group * x.batch / groups)..<((group + 1) * x.batch / groups) {
            image.load(x, n, transform: inputTransform)
            for co in 0..<m {
                for oy in 0..<g.outputHeight {
                    (wideGradient.pointer + co * image.span + oy * image.paddedWidth)
                        .update(from: dy.channel(n, co) + oy * g.outputWidth, count: g.outputWidth)
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
