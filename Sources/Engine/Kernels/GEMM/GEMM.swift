// Single-precision matrix multiply, C = alpha·op(A)·op(B) + beta·C, row-major: the BLIS loop nest
// jc → pc → ic → jr → ir over packed panels, threaded over fixed blocks of C.

/// C[m×n] = alpha·op(A)·op(B) + beta·C. Row-major; `op(X)` is X or its transpose; `lda`, `ldb`, `ldc`
/// are the row strides of A, B, C as stored. With `beta == 0`, C's old contents are never read.
///
/// Deterministic: every element of C sums its k products in the same order (k blocks of 256, each in
/// sequence) whatever the thread count, so 1 and N threads give bit-identical results.
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n,
                 "sgemm: leading dimensions lda=\(lda) ldb=\(ldb) ldc=\(ldc) too small for m=\(m) n=\(n) k=\(k)")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        scaleRows(c, ldc: ldc, m: m, n: n, by: beta)
        return
    }
    let nr = GEMMBlocking.nr, mr = GEMMBlocking.mr
    let blocks = CBlocks(m: m, n: min(n, GEMMBlocking.nc))
    let packedB = PackBuffer(count: min(k, GEMMBlocking.kc) * GEMMBlocking.roundUp(min(n, GEMMBlocking.nc), nr))
    // When several column groups share a row block, its A is packed once, up front, next to B; else
    // each chunk packs its own rows, which keeps A's buffer small for tall products.
    let sharedA = blocks.columnGroups > 1
    let packedA = sharedA ? PackBuffer(count: GEMMBlocking.roundUp(m, mr) * min(k, GEMMBlocking.kc)) : nil
    defer { packedB.deallocate(); packedA?.deallocate() }

    for jc in stride(from: 0, to: n, by: GEMMBlocking.nc) {
        let nc = min(GEMMBlocking.nc, n - jc)
        let slivers = GEMMBlocking.roundUp(nc, nr) / nr
        for pc in stride(from: 0, to: k, by: GEMMBlocking.kc) {
            let kc = min(GEMMBlocking.kc, k - pc)
            let packChunks = min(slivers, 8), aChunks = sharedA ? blocks.rowBlocks : 0
            parallelFor(chunks: packChunks + aChunks) { chunk in
                if chunk < packChunks {
                    packBSlivers(from: chunk * slivers / packChunks, to: (chunk + 1) * slivers / packChunks,
                                 b, ldb: ldb, transposed: transB, p0: pc, kc: kc, j0: jc, nc: nc,
                                 into: packedB.pointer)
                } else {
                    let rows = blocks.rows(ofBlock: chunk - packChunks)
                    packA(a, lda: lda, transposed: transA, i0: rows.lowerBound, mc: rows.count, p0: pc, kc: kc,
                          into: packedA!.pointer + rows.lowerBound * kc)
                }
            }
            let betaNow: Float = pc == 0 ? beta : 1
            parallelFor(chunks: blocks.count) { chunk in
                let (rows, cols) = blocks.ranges(of: chunk, n: nc)
                if cols.isEmpty { return }
                let ownA = sharedA ? nil : PackBuffer(count: GEMMBlocking.roundUp(rows.count, mr) * kc)
                defer { ownA?.deallocate() }
                if let ownA {
                    packA(a, lda: lda, transposed: transA, i0: rows.lowerBound, mc: rows.count, p0: pc, kc: kc,
                          into: ownA.pointer)
                }
                macroKernel(mc: rows.count, nc: cols.count, kc: kc,
                            packedA: ownA?.pointer ?? packedA!.pointer + rows.lowerBound * kc,
                            b: PackedBPanel(base: packedB.pointer + cols.lowerBound * kc, kc: kc),
                            c: c + rows.lowerBound * ldc + jc + cols.lowerBound, ldc: ldc,
                            alpha: alpha, beta: betaNow)
            }
        }
    }
}

/// The fixed split of a C panel into chunks: row blocks of at most MC rows, and, when there are few
/// of those, column groups too, so that small-m products (dense layers) still give every thread work.
/// Depends only on the problem's shape, never on the thread count.
struct CBlocks {
    let m: Int
    let rowBlock: Int
    let rowBlocks: Int
    let columnGroups: Int
    let columnGroupWidth: Int

    init(m: Int, n: Int) {
        let mr = GEMMBlocking.mr, nr = GEMMBlocking.nr
        self.m = m
        rowBlock = max(mr, min(GEMMBlocking.mc, GEMMBlocking.roundUp((m + 3) / 4, mr)))
        rowBlocks = (m + rowBlock - 1) / rowBlock
        let slivers = GEMMBlocking.roundUp(n, nr) / nr
        let groups = max(1, min(slivers, (8 + rowBlocks - 1) / rowBlocks))
        columnGroupWidth = GEMMBlocking.roundUp((n + groups - 1) / groups, nr)
        columnGroups = (n + columnGroupWidth - 1) / columnGroupWidth
    }

    var count: Int { rowBlocks * columnGroups }

    /// Rows of C in row block `block`.
    func rows(ofBlock block: Int) -> Range<Int> { (block * rowBlock)..<min(m, (block + 1) * rowBlock) }

    /// Rows of C and columns of the panel (of width `n`) that chunk `chunk` computes.
    func ranges(of chunk: Int, n: Int) -> (Range<Int>, Range<Int>) {
        let cg = chunk % columnGroups, c0 = min(n, cg * columnGroupWidth)
        return (rows(ofBlock: chunk / columnGroups), c0..<min(n, c0 + columnGroupWidth))
    }
}

/// C = beta·C on an m×n block (beta 0 writes zeros, ignoring NaNs in old C).
func scaleRows(_ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, by beta: Float) {
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
}
