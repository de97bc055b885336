// BatchNorm→ReLU fused into a convolution's input: the per-channel transform and the copy loops that
// apply it while packing.

/// A per-input-channel affine map followed by ReLU (`affineReLU`), applied to a convolution's input
/// while it is packed: `x̂[c] = max(0, scale[c]·x[c] + shift[c])`. Padding stays zero (it pads x̂, not x).
///
/// This is BatchNorm (with inference statistics, or batch statistics already computed) plus ReLU,
/// fused into the next convolution: DenseNet re-normalises every earlier channel in every layer, and
/// fusing saves writing and re-reading the normalised copy.
public struct ConvInputTransform {
    /// `inChannels` scales and shifts; must stay valid for the duration of the call.
    public let scale: UnsafePointer<Float>
    public let shift: UnsafePointer<Float>

    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
        self.scale = scale
        self.shift = shift
    }
}

/// `dst[t] = src[t]`, or `affineReLU(src[t])` when `transformed`.
@inline(__always)
func copyRun(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int,
                     transformed: Bool, scale: Float, shift: Float) {
    guard transformed else {
        dst.update(from: src, count: count)
        return
    }
    let vs = SIMD8<Float>(repeating: scale), vb = SIMD8<Float>(repeating: shift)
    var t = 0
    while t + 8 <= count {
        let y = affineReLU(UnsafeRawPointer(src + t).loadUnaligned(as: SIMD8<Float>.self), vs, vb)
        UnsafeMutableRawPointer(dst + t).storeBytes(of: y, as: SIMD8<Float>.self)
        t += 8
    }
    while t < count {
        dst[t] = affineReLU(src[t], scale, shift)
        t += 1
    }
}
