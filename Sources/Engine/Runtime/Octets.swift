// Elementwise loops eight floats at a time: full groups load and store as SIMD8, the last partial
// group goes through zero-padded lanes, so each rule is written once, in vector form.

/// Calls `body(start, lanes)` for consecutive groups of 8 indices covering `range`; the last group
/// may have fewer `lanes`.
@inline(__always)
func forEachOctet(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
    var i = range.lowerBound
    while i < range.upperBound {
        body(i, min(8, range.upperBound - i))
        i += 8
    }
}

/// `lanes` floats from `p` (8 for a full group), the rest zero.
@inline(__always)
func loadOctet(_ p: UnsafePointer<Float>, _ lanes: Int) -> SIMD8<Float> {
    lanes == 8 ? UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) : loadPartial(p, lanes, SIMD8())
}

/// `lanes` floats from `p`, the rest taken from `padding`.
@inline(__always)
func loadOctet(_ p: UnsafePointer<Float>, _ lanes: Int, padding: SIMD8<Float>) -> SIMD8<Float> {
    lanes == 8 ? UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) : loadPartial(p, lanes, padding)
}

/// Stores the first `lanes` floats of `v` at `p`.
@inline(__always)
func storeOctet(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self) } else { storePartial(v, p, lanes) }
}

// Out of line so the partial-group code stays out of the vector loops.
@inline(never)
private func loadPartial(_ p: UnsafePointer<Float>, _ lanes: Int, _ padding: SIMD8<Float>) -> SIMD8<Float> {
    var v = padding
    for i in 0..<lanes { v[i] = p[i] }
    return v
}

@inline(never)
private func storePartial(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    for i in 0..<lanes { p[i] = v[i] }
}
