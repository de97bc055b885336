// Packing of row-major matrices into the microkernel's sliver layouts; transposition happens here, so
// the loop nest and the kernel only ever see one layout.

/// Packs rows `i0..<i0+mc`, depth `p0..<p0+kc` of op(A) (A, or Aᵀ when `transposed`) into 6-row
/// slivers: sliver `s` holds `kc` steps of 6 floats at `dst + s·6·kc`; rows past `mc` are zero.
func packA(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, mc: Int, p0: Int, kc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    let mr = GEMMBlocking.mr
    var ir = 0
    while ir < mc {
        let rows = min(mr, mc - ir)
        let sliver = dst + ir * kc
        if rows < mr { sliver.update(repeating: 0, count: mr * kc) }
        if transposed {
            // op(A)[i, p] = a[p·lda + i]: each depth step reads `rows` contiguous floats.
            for p in 0..<kc {
                let src = a + (p0 + p) * lda + i0 + ir
                for r in 0..<rows { sliver[p * mr + r] = src[r] }
            }
        } else if rows == mr {
            // Six row streams read in step, one contiguous write: writing each row at stride 6 instead
            // was a tenth of small-plane DenseNet inference (weights are packed on every call).
            let r0 = a + (i0 + ir) * lda + p0, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda,
                r5 = r4 + lda
            for p in 0..<kc {
                let d = sliver + p * mr
                d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p]
            }
        } else {
            for r in 0..<rows {
                let src = a + (i0 + ir + r) * lda + p0
                for p in 0..<kc { sliver[p * mr + r] = src[p] }
            }
        }
        ir += mr
    }
}

/// Packs depth `p0..<p0+kc`, columns `j0..<j0+nc` of op(B) (B, or Bᵀ when `transposed`) into 16-column
/// slivers: sliver `s` holds `kc` steps of 16 floats at `dst + s·16·kc`; columns past `nc` are zero.
func packB(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, p0: Int, kc: Int, j0: Int, nc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    packBSlivers(from: 0, to: GEMMBlocking.roundUp(nc, GEMMBlocking.nr) / GEMMBlocking.nr,
                 b, ldb: ldb, transposed: transposed, p0: p0, kc: kc, j0: j0, nc: nc, into: dst)
}

/// Slivers `first..<last` of what `packB` writes, so a panel can be packed by several chunks at once.
func packBSlivers(from first: Int, to last: Int, _ b: UnsafePointer<Float>, ldb: Int, transposed: Bool,
                  p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
    let nr = GEMMBlocking.nr
    for s in first..<last {
        let jr = s * nr
        let cols = min(nr, nc - jr)
        let sliver = dst + jr * kc
        if cols < nr { sliver.update(repeating: 0, count: nr * kc) }
        if transposed && cols == nr {
            // op(B)[p, j] = b[j·ldb + p]: sixteen streams of depth read in step, one contiguous write.
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: nr) { columns in
                for j in 0..<nr { columns[j] = b + (j0 + jr + j) * ldb + p0 }
                for p in 0..<kc {
                    let d = sliver + p * nr
                    for j in 0..<nr { d[j] = columns[j][p] }
                }
            }
        } else if transposed {
            for j in 0..<cols {
                let src = b + (j0 + jr + j) * ldb + p0
                for p in 0..<kc { sliver[p * nr + j] = src[p] }
            }
        } else if cols == nr {
            for p in 0..<kc {
                (sliver + p * nr).update(from: b + (p0 + p) * ldb + j0 + jr, count: nr)
            }
        } else {
            for p in 0..<kc {
                (sliver + p * nr).update(from: b + (p0 + p) * ldb + j0 + jr, count: cols)
            }
        }
    }
}

/// A float scratch buffer for one chunk's packed panels, 64-byte aligned.
struct PackBuffer {
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func deallocate() { UnsafeMutableRawPointer(pointer).deallocate() }
}
