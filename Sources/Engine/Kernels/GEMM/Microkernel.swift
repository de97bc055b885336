// The register-blocked inner kernel every GEMM and convolution in the engine ends in: a 6x16 tile of C
// held in 12 `SIMD8<Float>` accumulators (AVX2: 12 of the 16 ymm registers), updated by FMA.

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

@inline(__always)
private func loadVector(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func storeVector(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// One C row of the tile: `c = alpha·acc + beta·c` (beta 0 ignores old C, which may be garbage).
/// The edge path below uses the same unfused formula, so a C element's value does not depend on
/// whether it fell in a full or an edge tile.
@inline(__always)
private func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>,
                      alpha: Float, beta: Float) {
    if beta == 0 {
        storeVector(lo * alpha, c)
        storeVector(hi * alpha, c + 8)
    } else {
        storeVector(loadVector(c) * beta + lo * alpha, c)
        storeVector(loadVector(c + 8) * beta + hi * alpha, c + 8)
    }
}

/// Where the microkernel finds the 16 floats of B for each depth step: a packed sliver, or rows of
/// an unpacked matrix at per-step offsets (a zero-padded image, read in place by stride-1 convolutions).
protocol BPanel {
    /// This panel's columns from `columns` on.
    func advanced(by columns: Int) -> Self
    /// The tile product through this panel's non-inlined kernel.
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

/// C[rows×cols] = alpha·(A·B) + beta·C for one tile, `rows` ≤ 6 and `cols` ≤ 16, B packed.
/// Not inlined, so `scripts/check-fma` can find it in the binary.
@inline(never)
func microkernel6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                     alpha: Float, beta: Float) {
    tileProduct(kc: kc, aValue: { p, r in a[p &* 6 &+ r] }, bRow: { b + ($0 &* 16) }, c: c, ldc: ldc, rows: rows, cols: cols,
                alpha: alpha, beta: beta)
}

/// The same tile product with B read at `b + offsets[p]` for depth step `p`.
@inline(never)
func microkernel6x16Offsets(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                            alpha: Float, beta: Float) {
    tileProduct(kc: kc, aValue: { p, r in a[p &* 6 &+ r] }, bRow: { b + offsets[$0] }, c: c, ldc: ldc, rows: rows,
                cols: cols, alpha: alpha, beta: beta)
}

/// The same tile product with A unpacked: row `r` of the tile is `aRows[r][0..<kc]` (B packed).
/// Saves packing when A's rows are contiguous runs already (a padded image in backward-weights).
@inline(never)
func microkernel6x16Rows(kc: Int, aRows: UnsafePointer<UnsafePointer<Float>>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                         alpha: Float, beta: Float) {
    let a0 = aRows[0], a1 = aRows[1], a2 = aRows[2], a3 = aRows[3], a4 = aRows[4], a5 = aRows[5]
    tileProduct(kc: kc, aValue: { p, r in
        switch r {
        case 0: return a0[p]
        case 1: return a1[p]
        case 2: return a2[p]
        case 3: return a3[p]
        case 4: return a4[p]
        default: return a5[p]
        }
    }, bRow: { b + ($0 &* 16) }, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
}

/// The 6x16 register tile: `aValue(p, r)` is A's row `r` at depth step `p` (zero past `rows`),
/// `bRow(p)` the 16 floats of B at step `p`.
@inline(__always)
private func tileProduct(kc: Int, aValue: (Int, Int) -> Float, bRow: (Int) -> UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                         alpha: Float, beta: Float) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    for p in 0..<kc {
        let pb = bRow(p)
        let b0 = loadVector(pb), b1 = loadVector(pb + 8)
        var av = SIMD8<Float>(repeating: aValue(p, 0))
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = SIMD8<Float>(repeating: aValue(p, 1))
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = SIMD8<Float>(repeating: aValue(p, 2))
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = SIMD8<Float>(repeating: aValue(p, 3))
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = SIMD8<Float>(repeating: aValue(p, 4))
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = SIMD8<Float>(repeating: aValue(p, 5))
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
    }
    if rows == 6 && cols == 16 {
        storeRow(c00, c01, c, alpha: alpha, beta: beta)
        storeRow(c10, c11, c + ldc, alpha: alpha, beta: beta)
        storeRow(c20, c21, c + 2 * ldc, alpha: alpha, beta: beta)
        storeRow(c30, c31, c + 3 * ldc, alpha: alpha, beta: beta)
        storeRow(c40, c41, c + 4 * ldc, alpha: alpha, beta: beta)
        storeRow(c50, c51, c + 5 * ldc, alpha: alpha, beta: beta)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 96) { tile in
        let t = tile.baseAddress!
        storeVector(c00, t); storeVector(c01, t + 8); storeVector(c10, t + 16); storeVector(c11, t + 24)
        storeVector(c20, t + 32); storeVector(c21, t + 40); storeVector(c30, t + 48); storeVector(c31, t + 56)
        storeVector(c40, t + 64); storeVector(c41, t + 72); storeVector(c50, t + 80); storeVector(c51, t + 88)
        for i in 0..<rows {
            let row = c + i * ldc
            for j in 0..<cols {
                row[j] = beta == 0 ? t[i * 16 + j] * alpha : row[j] * beta + t[i * 16 + j] * alpha
            }
        }
    }
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
