// Naive float64 convolution loops, the reference the tiled kernels are checked against, and a test
// case builder that lays inputs out as channel slices of larger buffers.
@testable import Engine

/// Dense NCHW arrays and the plain loops of the convolution definition.
struct ReferenceConvolution {
    let g: ConvGeometry
    let batch: Int

    /// Input index of output pixel (oy, ox) at kernel tap (ky, kx), or nil in the padding.
    func inputIndex(_ oy: Int, _ ox: Int, _ ky: Int, _ kx: Int) -> Int? {
        let iy = oy * g.strideY - g.padTop + ky, ix = ox * g.strideX - g.padLeft + kx
        guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { return nil }
        return iy * g.inputWidth + ix
    }

    /// Calls `body(n, co, ci, outputIndex, inputIndex, weightIndex)` for every multiply of the forward.
    func forEachTap(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        for n in 0..<batch {
            for co in 0..<g.outChannels {
                for ci in 0..<g.inChannels {
                    for oy in 0..<g.outputHeight {
                        for ox in 0..<g.outputWidth {
                            for ky in 0..<g.kernelHeight {
                                for kx in 0..<g.kernelWidth {
                                    guard let i = inputIndex(oy, ox, ky, kx) else { continue }
                                    body(n, co, ci, (n * g.outChannels + co) * g.outputPlane + oy * g.outputWidth + ox,
                                         (n * g.inChannels + ci) * g.inputPlane + i,
                                         ((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func forward(x: [Float], w: [Float], bias: [Float]?) -> [Double] {
        var y = [Double](repeating: 0, count: batch * g.outChannels * g.outputPlane)
        forEachTap { _, _, _, o, i, wi in y[o] += Double(x[i]) * Double(w[wi]) }
        if let bias {
            for o in y.indices { y[o] += Double(bias[(o / g.outputPlane) % g.outChannels]) }
        }
        return y
    }

    func backwardData(dy: [Float], w: [Float]) -> [Double] {
        var dx = [Double](repeating: 0, count: batch * g.inChannels * g.inputPlane)
        forEachTap { _, _, _, o, i, wi in dx[i] += Double(dy[o]) * Double(w[wi]) }
        return dx
    }

    func backwardWeights(x: [Float], dy: [Float]) -> [Double] {
        var dw = [Double](repeating: 0, count: g.weightCount)
        forEachTap { _, _, _, o, i, wi in dw[wi] += Double(dy[o]) * Double(x[i]) }
        return dw
    }

    /// The fused input transform applied to a dense input.
    func transformed(_ x: [Float], scale: [Float], shift: [Float]) -> [Float] {
        x.indices.map { i in affineReLU(x[i], scale[(i / g.inputPlane) % g.inChannels], shift[(i / g.inputPlane) % g.inChannels]) }
    }
}

/// A batch of `channels` images stored as channels `offset..<offset+channels` of a buffer with
/// `offset + channels + 2` channels, the rest filled with a sentinel, as in a DenseNet block buffer.
struct SlicedImages {
    static let sentinel: Float = 7
    let buffer: Tensor
    let view: ImageView
    let range: Range<Int>

    init(batch: Int, channels: Int, height: Int, width: Int, offset: Int) {
        buffer = Tensor(zeros: [batch, offset + channels + 2, height, width])
        buffer.fill(SlicedImages.sentinel)
        range = offset..<(offset + channels)
        view = buffer.images(channels: range)
    }

    /// The view's channels as a dense NCHW array.
    var dense: [Float] { denseArray(view) }

    func set(_ values: [Float]) {
        for n in 0..<view.batch {
            for c in 0..<view.channels {
                let start = (n * view.channels + c) * view.plane
                for p in 0..<view.plane { view.channel(n, c)[p] = values[start + p] }
            }
        }
    }

    /// True when every channel outside the view still holds the sentinel.
    var untouchedOutsideView: Bool {
        let shape = buffer.shape, plane = shape[2] * shape[3]
        for n in 0..<shape[0] {
            for c in 0..<shape[1] where !range.contains(c) {
                let p = buffer.data + (n * shape[1] + c) * plane
                if (0..<plane).contains(where: { p[$0] != SlicedImages.sentinel }) { return false }
            }
        }
        return true
    }
}

/// The channels of an image view as a dense NCHW array.
func denseArray(_ view: ImageView) -> [Float] {
    var out: [Float] = []
    for n in 0..<view.batch {
        for c in 0..<view.channels { out += Array(UnsafeBufferPointer(start: view.channel(n, c), count: view.plane)) }
    }
    return out
}
