// The register-blocked inner kernel every GEMM and convolution in the engine ends in: a 6x16 tile of C
// held in 12 8-float accumulators (AVX2: 12 of the 16 ymm registers), updated by FMA. The tile
// itself is C (Sources/EngineKernels), compiled per instruction set and chosen at run time (KernelPath).

/// Register tile and cache blocking shared by the packers and the loop nests.
///
/// MR×NR = 6×16 leaves 3 ymm registers for two B vectors and an A broadcast, so nothing spills.
/// KC·NR floats of B (16 KiB) stay in L1, an MC×KC block of A (120 KiB) in L2.
enum GEMMBlocking {
    static let mr = 6
    static let nr = 16
    static let mc = 120
    static let kc = 256
    static let nc = 3072

    static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}

/// Where the microkernel finds the 16 floats of B for each depth step: a packed sliver, or rows of
/// an unpacked matrix at per-step offsets (a zero-padded image, read in place by stride-1 convolutions).
protocol BPanel {
    /// This panel's columns from `columns` on.
    func advanced(by columns: Int) -> Self
    /// The tile product through the active kernel path's tile for this panel kind.
    func multiply(kc: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                  alpha: Float, beta: Float)
}

/// B packed by `packB`: 16-column slivers of `kc` steps each.
struct PackedBPanel: BPanel {
    let base: UnsafePointer<Float>
    let kc: Int

    func advanced(by columns: Int) -> PackedBPanel { PackedBPanel(base: base + columns * kc, kc: kc) }

    func multiply(kc: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                  alpha: Float, beta: Float) {
        microkernel6x16(kc: kc, a: a, b: base, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
    }
}

/// Unpacked B: depth step `p`, column `j` is `base[offsets[p] + j]`. Every read column must be
/// readable memory; columns past `cols` are computed and discarded.
struct OffsetBPanel: BPanel {
    let base: UnsafePointer<Float>
    let offsets: UnsafePointer<Int>

    func advanced(by columns: Int) -> OffsetBPanel { OffsetBPanel(base: base + columns, offsets: offsets) }

    func multiply(kc: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                  alpha: Float, beta: Float) {
        microkernel6x16Offsets(kc: kc, a: a, b: base, offsets: offsets, c: c, ldc: ldc, rows: rows, cols: cols,
                               alpha: alpha, beta: beta)
    }
}

/// C[rows×cols] = alpha·(A·B) + beta·C for one tile, `rows` ≤ 6 and `cols` ≤ 16, A and B packed
/// (A's row r at depth p is `a[6p + r]`, B's 16 floats of step p at `b + 16p`); beta 0 ignores old C,
/// which may be garbage. Each C element is one FMA chain over p from 0, then `acc·alpha` or
/// `c·beta + acc·alpha` unfused, whatever the kernel path (EngineKernels.h).
@inline(__always)
func microkernel6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                     alpha: Float, beta: Float) {
    kernels.tile_packed(kc, a, b, c, ldc, rows, cols, alpha, beta)
}

/// The same tile product with B read at `b + offsets[p]` for depth step `p`.
@inline(__always)
func microkernel6x16Offsets(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                            alpha: Float, beta: Float) {
    kernels.tile_offsets(kc, a, b, offsets, c, ldc, rows, cols, alpha, beta)
}

/// The same tile product with A unpacked: row `r` of the tile is `aRows[r][0..<kc]` (B packed).
/// Saves packing when A's rows are contiguous runs already (a padded image in backward-weights).
@inline(__always)
func microkernel6x16Rows(kc: Int, aRows: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                         alpha: Float, beta: Float) {
    kernels.tile_rows(kc, aRows, b, c, ldc, rows, cols, alpha, beta)
}

/// Runs the microkernel over an mc×nc block of C from a packed MC×KC block of A (6-row slivers, each
/// `kc·6` floats) and a KC×NC panel of B.
///
/// B slivers are the outer loop: one stays in L1 while every A sliver of the block streams past it.
func macroKernel<B: BPanel>(mc: Int, nc: Int, kc: Int, packedA: UnsafePointer<Float>, b: B,
                            c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    let mr = GEMMBlocking.mr, nr = GEMMBlocking.nr
    var jr = 0
    while jr < nc {
        let cols = min(nr, nc - jr)
        let sliver = b.advanced(by: jr)
        var ir = 0
        while ir < mc {
            sliver.multiply(kc: kc, a: packedA + ir * kc, c: c + ir * ldc + jr, ldc: ldc,
                            rows: min(mr, mc - ir), cols: cols, alpha: alpha, beta: beta)
            ir += mr
        }
        jr += nr
    }
}
