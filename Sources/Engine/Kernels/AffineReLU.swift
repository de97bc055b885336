// BatchNorm→ReLU as every kernel computes it. DenseNet applies it while packing a convolution's
// input, BatchNorm applies it to whole tensors, and the backward pass masks gradients where it was
// zero: all three must agree on every element, so they all evaluate it here.

/// `x·scale + shift`, the BatchNorm affine map, multiplied then added (never fused into one FMA, so
/// the scalar and vector forms give the same bits).
@inline(__always)
func affine(_ x: SIMD8<Float>, _ scale: SIMD8<Float>, _ shift: SIMD8<Float>) -> SIMD8<Float> {
    x * scale + shift
}

/// `max(v, 0)` per lane.
@inline(__always)
func relu(_ v: SIMD8<Float>) -> SIMD8<Float> {
    v.replacing(with: 0, where: v .< 0)
}

/// `max(x·scale + shift, 0)`: BatchNorm→ReLU.
@inline(__always)
func affineReLU(_ x: SIMD8<Float>, _ scale: SIMD8<Float>, _ shift: SIMD8<Float>) -> SIMD8<Float> {
    relu(affine(x, scale, shift))
}

/// The lanes where BatchNorm→ReLU passed its input (`x·scale + shift > 0`); its gradient is zero elsewhere.
@inline(__always)
func affineReLUPasses(_ x: SIMD8<Float>, _ scale: SIMD8<Float>, _ shift: SIMD8<Float>) -> SIMDMask<SIMD8<Int32>> {
    affine(x, scale, shift) .> 0
}

/// `max(x·scale + shift, 0)` for one element: the lanes above, one at a time.
@inline(__always)
func affineReLU(_ x: Float, _ scale: Float, _ shift: Float) -> Float {
    let y = x * scale + shift
    return y < 0 ? 0 : y
}
