// The implicit im2col matrix of one image for strided convolutions, read (and, for backward-data,
// scattered into) in pieces as the GEMM packers need them, so the full matrix never exists in memory.

/// Rows are patch elements `kk = (ci·kernelHeight + ky)·kernelWidth + kx`, columns are output pixels
/// `q = oy·outputWidth + ox`; entry (kk, q) is x̂[ci, oy·strideY − padTop + ky, ox·strideX − padLeft + kx].
struct ImplicitColumns {
    let g: ConvGeometry
    /// Channel 0 of the image; channel `ci` is at `+ ci·inputPlane`.
    let image: UnsafeMutablePointer<Float>
    let transform: ConvInputTransform?

    /// Splits columns `q0..<q0+count` into runs within one output row and calls
    /// `body(offset, length, start, lo, hi)` for each: the run covers columns `q0+offset ..< +length`;
    /// element `t` of it reads input index `start + t·strideX` of the channel when `lo ≤ t < hi`, and is
    /// padding otherwise.
    @inline(__always)
    private func forEachRun(ky: Int, kx: Int, q0: Int, count: Int,
                            _ body: (_ offset: Int, _ length: Int, _ start: Int, _ lo: Int, _ hi: Int) -> Void) {
        let ow = g.outputWidth, w = g.inputWidth, sx = g.strideX
        var offset = 0
        while offset < count {
            let q = q0 + offset
            let oy = q / ow, ox = q - oy * ow
            let length = min(count - offset, ow - ox)
            let iy = oy * g.strideY - g.padTop + ky
            if iy < 0 || iy >= g.inputHeight {
                body(offset, length, 0, 0, 0)
            } else {
                let ix0 = ox * sx - g.padLeft + kx
                let hi = ix0 > w - 1 ? 0 : min(length, (w - 1 - ix0) / sx + 1)
                let lo = min(ix0 >= 0 ? 0 : (-ix0 + sx - 1) / sx, hi)
                body(offset, length, iy * w + ix0, lo, hi)
            }
            offset += length
        }
    }

    @inline(__always)
    private func split(_ kk: Int) -> (ci: Int, ky: Int, kx: Int) {
        let area = g.kernelHeight * g.kernelWidth
        let ci = kk / area, r = kk - ci * area
        return (ci, r / g.kernelWidth, r % g.kernelWidth)
    }

    /// Writes row `kk`, columns `q0..<q0+count`, to `dst[0..<count]`.
    func gather(row kk: Int, q0: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let (ci, ky, kx) = split(kk)
        let src = UnsafePointer(image + ci * g.inputPlane)
        let sx = g.strideX
        let scale = transform?.scale[ci] ?? 1, shift = transform?.shift[ci] ?? 0
        let transformed = transform != nil
        forEachRun(ky: ky, kx: kx, q0: q0, count: count) { offset, length, start, lo, hi in
            let d = dst + offset
            d.update(repeating: 0, count: lo)
            (d + hi).update(repeating: 0, count: length - hi)
            if sx == 1 {
                copyRun(src + start + lo, to: d + lo, count: hi - lo, transformed: transformed, scale: scale, shift: shift)
            } else {
                for t in lo..<hi {
                    let v = src[start + t * sx]
                    d[t] = transformed ? affineReLU(v, scale, shift) : v
                }
            }
        }
    }

    /// Adds `src[t]` into the input positions of row `kk`, columns `q0..<q0+count` (the transpose of
    /// `gather`); padding positions are dropped.
    func scatterAdd(row kk: Int, q0: Int, count: Int, from src: UnsafePointer<Float>) {
        let (ci, ky, kx) = split(kk)
        let dst = image + ci * g.inputPlane
        let sx = g.strideX
        forEachRun(ky: ky, kx: kx, q0: q0, count: count) { offset, _, start, lo, hi in
            let s = src + offset
            if sx == 1 {
                let d = dst + start
                for t in lo..<hi { d[t] += s[t] }
            } else {
                for t in lo..<hi { dst[start + t * sx] += s[t] }
            }
        }
    }

    /// Packs rows `rows`, columns `columns` as the B operand of a GEMM: 16-column slivers (see `packB`).
    /// Each row is gathered whole first, so run splitting is paid once per row, not once per sliver.
    func packColumnSlivers(rows: Range<Int>, columns: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        let nr = GEMMBlocking.nr, kc = rows.count, width = columns.count
        let fullSlivers = width / nr
        if width % nr != 0 { (dst + fullSlivers * nr * kc).update(repeating: 0, count: nr * kc) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { buffer in
            let row = buffer.baseAddress!
            for kk in rows {
                gather(row: kk, q0: columns.lowerBound, count: width, into: row)
                let step = dst + (kk - rows.lowerBound) * nr
                for s in 0..<fullSlivers {
                    let from = UnsafeRawPointer(row + s * nr), to = UnsafeMutableRawPointer(step + s * nr * kc)
                    to.storeBytes(of: from.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                }
                (step + fullSlivers * nr * kc).update(from: row + fullSlivers * nr, count: width % nr)
            }
        }
    }

    /// Packs rows `rows`, columns `columns` as the A operand of a GEMM: 6-row slivers (see `packA`).
    func packRowSlivers(rows: Range<Int>, columns: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        let mr = GEMMBlocking.mr, kc = columns.count
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * kc) { buffer in
            let block = buffer.baseAddress!
            var ir = 0
            while ir < rows.count {
                let height = min(mr, rows.count - ir)
                for r in 0..<mr {
                    if r < height {
                        gather(row: rows.lowerBound + ir + r, q0: columns.lowerBound, count: kc, into: block + r * kc)
                    } else {
                        (block + r * kc).update(repeating: 0, count: kc)
                    }
                }
                let sliver = dst + ir * kc
                for p in 0..<kc {
                    let to = sliver + p * mr
                    to[0] = block[p]; to[1] = block[kc + p]; to[2] = block[2 * kc + p]
                    to[3] = block[3 * kc + p]; to[4] = block[4 * kc + p]; to[5] = block[5 * kc + p]
                }
                ir += mr
            }
        }
    }
}
