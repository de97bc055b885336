// The staged input of a stride-1 convolution: a zero-padded, transformed copy the GEMM reads in
// place, with one image or, on tiny planes, several side by side.

/// Images of a stride-1 convolution's input, zero-padded, transformed, and placed side by side in
/// `images` slots of one wide row, plus the im2col row offsets into them.
///
/// Output "wide" pixel `q = oy·rowWidth + X` reads, for im2col row `kk = (ci, ky, kx)`, the float at
/// `offsets[kk] + q`; it belongs to the image in slot `X / slotWidth` at `ox = X % slotWidth`, and
/// columns with `ox ≥ outputWidth` are garbage, dropped (forward) or met by zero output gradients
/// (backward-weights). A window never leaves its slot, so slots do not mix.
///
/// Why slots: the GEMM's panels are 16 pixels wide, and a 2x2 or 1x1 plane (DenseNet-121's last
/// blocks at 32x32 input) would fill 4 or 1 of them per image.
struct StagedImages {
    let g: ConvGeometry
    let images: Int
    /// One image's padded width.
    let slotWidth: Int
    let rowWidth: Int
    let planeSize: Int
    /// Wide output pixels: `outputHeight · rowWidth`.
    let span: Int
    private let storage: PackBuffer
    let offsets: UnsafeMutablePointer<Int>

    /// Whether a convolution can take this path: stride 1, and padding smaller than the kernel.
    static func applies(to g: ConvGeometry) -> Bool {
        g.strideY == 1 && g.strideX == 1 && max(g.padTop, g.padBottom) < g.kernelHeight
            && max(g.padLeft, g.padRight) < g.kernelWidth
    }

    /// Wide output pixels of `images` slots: `outputHeight · rowWidth`.
    static func span(_ g: ConvGeometry, images: Int) -> Int {
        g.outputHeight * images * (g.inputWidth + g.padLeft + g.padRight)
    }

    /// How many images share a row of slots: enough for about 256 wide pixels, but at most an eighth
    /// of the batch, so a batch still splits into 8 chunks. A shape's property, never the threads'.
    static func imagesPerRow(_ g: ConvGeometry, batch: Int) -> Int {
        max(1, min(256 / max(span(g, images: 1), 1), batch / 8))
    }

    init(_ g: ConvGeometry, images: Int = 1) {
        self.g = g
        self.images = images
        slotWidth = g.inputWidth + g.padLeft + g.padRight
        rowWidth = images * slotWidth
        planeSize = rowWidth * (g.inputHeight + g.padTop + g.padBottom)
        span = StagedImages.span(g, images: images)
        // The last 16-wide sliver of the last row reads up to kernelWidth + 15 floats past the planes.
        let count = g.inChannels * planeSize + g.kernelWidth + GEMMBlocking.nr
        storage = PackBuffer(count: count)
        // Zero only what `load` never writes: the border of each slot and the slack after the last plane.
        let top = g.padTop * rowWidth, interiorEnd = (g.padTop + g.inputHeight) * rowWidth
        let sidePadding = g.padLeft + g.padRight > 0
        for ci in 0..<g.inChannels {
            let plane = storage.pointer + ci * planeSize
            plane.initialize(repeating: 0, count: top)
            if sidePadding {  // a 1x1 convolution has none: its loop over rows was most of this set-up
                for iy in 0..<g.inputHeight {
                    for slot in 0..<images {
                        let row = plane + top + iy * rowWidth + slot * slotWidth
                        row.initialize(repeating: 0, count: g.padLeft)
                        (row + g.padLeft + g.inputWidth).initialize(repeating: 0, count: g.padRight)
                    }
                }
            }
            (plane + interiorEnd).initialize(repeating: 0, count: planeSize - interiorEnd)
        }
        (storage.pointer + g.inChannels * planeSize).initialize(repeating: 0, count: g.kernelWidth + GEMMBlocking.nr)
        offsets = .allocate(capacity: g.patchSize)
        for kk in 0..<g.patchSize {
            let area = g.kernelHeight * g.kernelWidth, ci = kk / area, r = kk % area
            offsets[kk] = ci * planeSize + (r / g.kernelWidth) * rowWidth + r % g.kernelWidth
        }
    }

    private var base: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// Copies images `batch` of `x` (at most `images`), transformed, into consecutive slots inside the
    /// zero border (written once at init, never overwritten, so the buffer serves group after group).
    /// Slots past the last image are zeroed: no stale values meet the zeros of a gradient there.
    func load(_ x: ImageView, _ batch: Range<Int>, transform: ConvInputTransform?) {
        precondition(batch.count <= images, "StagedImages: \(batch.count) images for \(images) slots")
        for ci in 0..<g.inChannels {
            let scale = transform?.scale[ci] ?? 1, shift = transform?.shift[ci] ?? 0
            let interior = storage.pointer + ci * planeSize + g.padTop * rowWidth + g.padLeft
            for slot in 0..<images {
                let plane = interior + slot * slotWidth
                guard slot < batch.count else {
                    for iy in 0..<g.inputHeight { (plane + iy * rowWidth).update(repeating: 0, count: g.inputWidth) }
                    continue
                }
                let source = UnsafePointer(x.channel(batch.lowerBound + slot, ci))
                if rowWidth == g.inputWidth {  // one image, no left/right padding: the rows are one run
                    copyRun(source, to: plane, count: g.inputPlane, transformed: transform != nil, scale: scale, shift: shift)
                    continue
                }
                for iy in 0..<g.inputHeight {
                    copyRun(source + iy * g.inputWidth, to: plane + iy * rowWidth, count: g.inputWidth,
                            transformed: transform != nil, scale: scale, shift: shift)
                }
            }
        }
    }

    /// A run of valid output pixels among wide pixels: `count` pixels of row `oy` of the image in
    /// `slot`, from `ox` on, at wide pixel `q`.
    struct ValidRun {
        let slot: Int, oy: Int, ox: Int, q: Int, count: Int
    }

    /// Sets `runs` to the runs of valid output pixels among wide pixels `pixels` in the first `slots`
    /// slots (a last row of images may fill fewer), in order. Found once per tile and reused for
    /// every output channel: finding them (two divisions a run) once per channel was a twentieth of
    /// small-plane DenseNet inference. `runs` keeps its capacity from tile to tile.
    func validRuns(_ pixels: Range<Int>, slots: Int, into runs: inout [ValidRun]) {
        runs.removeAll(keepingCapacity: true)
        var q = pixels.lowerBound
        while q < pixels.upperBound {
            let oy = q / rowWidth, x = q - oy * rowWidth, slot = x / slotWidth, ox = x - slot * slotWidth
            let end = min(pixels.upperBound, oy * rowWidth + (slot + 1) * slotWidth)
            let valid = min(end - q, g.outputWidth - ox)
            if valid > 0 && slot < slots { runs.append(ValidRun(slot: slot, oy: oy, ox: ox, q: q, count: valid)) }
            q = end
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
