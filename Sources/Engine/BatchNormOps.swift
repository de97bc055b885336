// Batch normalisation as free functions over channel views: statistics, the affine map they imply,
// and the backward pass with an optional ReLU folded in (DenseNet fuses BN→ReLU into its convs).

/// y = x·scale + shift, then ReLU: the one definition of the fused activation, so a model that
/// applies it while packing a convolution's input and `batchNormBackward` agree on every ReLU mask.
@inline(__always)
public func batchNormReLU(_ x: Float, scale: Float, shift: Float) -> Float {
    max(x * scale + shift, 0)
}

/// Per-channel batch mean and biased variance of `x`, over batch, height and width.
///
/// Each channel is reduced by one worker in a fixed order (per-plane float partial sums added in
/// image order in Double, two passes), so the result does not depend on the thread count.
public func batchNormStatistics(_ x: ImageView, mean: UnsafeMutablePointer<Float>,
                                variance: UnsafeMutablePointer<Float>) {
    let perChannel = Double(x.batch * x.plane)
    forEachChannelBlock(x) { c in
        var sum = 0.0
        for n in 0..<x.batch { sum += planeSum(x.channel(n, c), x.plane, minus: 0) }
        let m = Float(sum / perChannel)
        var squares = 0.0
        for n in 0..<x.batch { squares += planeSum(x.channel(n, c), x.plane, minus: m, squared: true) }
        mean[c] = m
        variance[c] = Float(squares / perChannel)
    }
}

/// The per-channel affine map batch normalisation applies: scale = γ/√(var+ε), shift = β − mean·scale.
public func batchNormScaleShift(channels: Int, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                                gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>) {
    for c in 0..<channels {
        let s = gamma[c] / (variance[c] + epsilon).squareRoot()
        scale[c] = s
        shift[c] = beta[c] - mean[c] * s
    }
}

/// y = x·scale + shift per channel, followed by ReLU when `relu`. `y` may be `x` itself.
public func batchNormApply(_ x: ImageView, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                           relu: Bool, into y: ImageView) {
    precondition(x.batch == y.batch && x.channels == y.channels && x.plane == y.plane,
                 "batchNormApply: output view does not match the input view")
    forEachChannelBlock(x) { c in
        let s = scale[c], t = shift[c]
        for n in 0..<x.batch {
            let src = x.channel(n, c), dst = y.channel(n, c)
            if relu {
                for i in 0..<x.plane { dst[i] = batchNormReLU(src[i], scale: s, shift: t) }
            } else {
                for i in 0..<x.plane { dst[i] = src[i] * s + t }
            }
        }
    }
}

/// Backward of y = [ReLU](γ·(x − mean)/√(var+ε) + β), given `dy` = ∂L/∂y.
///
/// With `batchStatistics` (training mode) mean and variance are the batch's own, so the gradient
/// flows through them: dx = scale·(dz − Σdz/M − x̂·Σ(dz·x̂)/M), M = N·H·W, dz = dy masked by the ReLU.
/// Otherwise (inference mode, frozen BN) they are constants and dx = scale·dz.
///
/// Everything ADDS: `dx += …` (DenseNet's block buffers collect gradients from several layers),
/// `dgamma += Σdz·x̂`, `dbeta += Σdz`; pass `nil` for the parameter gradients of a frozen layer.
public func batchNormBackward(dy: ImageView, x: ImageView, mean: UnsafePointer<Float>,
                              variance: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                              beta: UnsafePointer<Float>, epsilon: Float, relu: Bool, batchStatistics: Bool,
                              dx: ImageView, dgamma: UnsafeMutablePointer<Float>?,
                              dbeta: UnsafeMutablePointer<Float>?) {
    precondition(dy.batch == x.batch && dy.channels == x.channels && dy.plane == x.plane
                 && dx.batch == x.batch && dx.channels == x.channels && dx.plane == x.plane,
                 "batchNormBackward: dy, x and dx views differ in shape")
    let count = Float(x.batch * x.plane)
    forEachChannelBlock(x) { c in
        let std = (variance[c] + epsilon).squareRoot(), invStd = 1 / std
        let m = mean[c]
        // The same expressions as batchNormScaleShift, so the ReLU mask matches the forward's bit for bit.
        let scale = gamma[c] / std, shift = beta[c] - m * scale
        // dz = dy where the ReLU passed its input, else 0; computed once per pass from x.
        @inline(__always) func dz(_ xv: Float, _ dyv: Float) -> Float {
            (!relu || xv * scale + shift > 0) ? dyv : 0
        }
        var sumDz = 0.0, sumDzXhat = 0.0
        for n in 0..<x.batch {
            let xp = x.channel(n, c), dyp = dy.channel(n, c)
            var s: Float = 0, sx: Float = 0
            for i in 0..<x.plane {
                let d = dz(xp[i], dyp[i])
                s += d
                sx += d * (xp[i] - m) * invStd
            }
            sumDz += Double(s)
            sumDzXhat += Double(sx)
        }
        dbeta?[c] += Float(sumDz)
        dgamma?[c] += Float(sumDzXhat)
        let meanDz = batchStatistics ? Float(sumDz) / count : 0
        let meanDzXhat = batchStatistics ? Float(sumDzXhat) / count : 0
        for n in 0..<x.batch {
            let xp = x.channel(n, c), dyp = dy.channel(n, c), dxp = dx.channel(n, c)
            for i in 0..<x.plane {
                let xhat = (xp[i] - m) * invStd
                dxp[i] += scale * (dz(xp[i], dyp[i]) - meanDz - xhat * meanDzXhat)
            }
        }
    }
}

/// Updates running statistics from one batch's: running = momentum·running + (1 − momentum)·batch,
/// where `momentum` is the fraction kept (Keras meaning). With `unbiasedVariance` the batch variance
/// is first scaled by M/(M−1), M = `batchCount` values per channel (PyTorch stores that estimate).
public func batchNormUpdateRunning(channels: Int, batchMean: UnsafePointer<Float>,
                                   batchVariance: UnsafePointer<Float>, batchCount: Int,
                                   momentum: Float, unbiasedVariance: Bool,
                                   runningMean: UnsafeMutablePointer<Float>,
                                   runningVariance: UnsafeMutablePointer<Float>) {
    let correction = unbiasedVariance && batchCount > 1 ? Float(batchCount) / Float(batchCount - 1) : 1
    for c in 0..<channels {
        runningMean[c] = momentum * runningMean[c] + (1 - momentum) * batchMean[c]
        runningVariance[c] = momentum * runningVariance[c] + (1 - momentum) * batchVariance[c] * correction
    }
}

/// Runs `body(channel)` for every channel, channels grouped into chunks of at least ~16K values so
/// small planes (a [N, F] input has 1x1 planes) do not drown in scheduling.
private func forEachChannelBlock(_ x: ImageView, _ body: (Int) -> Void) {
    let perChannel = max(1, x.batch * x.plane)
    let channelsPerChunk = max(1, min(x.channels, 16_384 / perChannel))
    let chunks = (x.channels + channelsPerChunk - 1) / channelsPerChunk
    parallelFor(chunks: chunks) { chunk in
        for c in chunk * channelsPerChunk..<min(x.channels, (chunk + 1) * channelsPerChunk) { body(c) }
    }
}

/// Σ (p[i] − minus) or Σ (p[i] − minus)² over `count` floats, in eight float lanes added in a fixed
/// order, returned as Double.
@inline(__always)
private func planeSum(_ p: UnsafePointer<Float>, _ count: Int, minus: Float, squared: Bool = false) -> Double {
    var lanes = SIMD8<Float>(repeating: 0)
    let shift = SIMD8<Float>(repeating: minus)
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - shift
        lanes = squared ? lanes.addingProduct(v, v) : lanes + v
        i += 8
    }
    var total = 0.0
    for l in 0..<8 { total += Double(lanes[l]) }
    while i < count {
        let v = p[i] - minus
        total += Double(squared ? v * v : v)
        i += 1
    }
    return total
}
