// Batch normalisation as free functions over channel views: statistics, the affine map they imply,
// and the backward pass with an optional ReLU folded in (DenseNet fuses BN→ReLU into its convs).

/// Per-channel batch mean and biased variance of `x`, over batch, height and width (two passes).
///
/// Each channel is reduced by one worker in a fixed order (float lanes per image, added in image
/// order in Double), so the result does not depend on the thread count.
func batchNormStatistics(_ x: ImageView, mean: UnsafeMutablePointer<Float>,
                                variance: UnsafeMutablePointer<Float>) {
    let count = Double(x.batch * x.plane)
    forEachChannelGroup(x) { group in
        var sum = SIMD8<Double>()
        for n in 0..<x.batch {
            let p = x.channel(n, group.channel)
            var lanes = SIMD8<Float>()
            for j in 0..<group.octets {
                let (i, k) = group.octet(j)
                lanes += loadOctet(p + i, k)
            }
            sum += SIMD8<Double>(lanes)
        }
        let m = SIMD8<Float>(group.perChannel(sum) / count)
        var squares = SIMD8<Double>()
        var lanes = SIMD16<Float>(lowHalf: m, highHalf: SIMD8())  // the mean, then the kernel's lane sums
        withUnsafeMutableBytes(of: &lanes) { raw in
            let mean = raw.baseAddress!.assumingMemoryBound(to: Float.self), sums = mean + 8
            for n in 0..<x.batch {
                // Σ(v − mean)² per lane, the padded lanes of the last octet adding 0.
                kernels.squared_deviations(sums, x.channel(n, group.channel), group.run, mean)
                squares += SIMD8<Double>(UnsafeRawPointer(sums).loadUnaligned(as: SIMD8<Float>.self))
            }
        }
        group.store(m, mean)
        group.store(SIMD8<Float>(group.perChannel(squares) / count), variance)
    }
}

/// The per-channel affine map batch normalisation applies: scale = γ/√(var+ε), shift = β − mean·scale.
func batchNormScaleShift(channels: Int, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                                gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>) {
    for c in 0..<channels {
        let s = gamma[c] / (variance[c] + epsilon).squareRoot()
        scale[c] = s
        shift[c] = beta[c] - mean[c] * s
    }
}

/// y = x·scale + shift per channel, followed by ReLU when `relu`. `y` may be `x` itself.
func batchNormApply(_ x: ImageView, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                           relu: Bool, into y: ImageView) {
    precondition(x.batch == y.batch && x.channels == y.channels && x.plane == y.plane,
                 "batchNormApply: output view does not match the input view")
    forEachChannelGroup(x) { group in
        let s = group.lanes(scale), t = group.lanes(shift)
        for n in 0..<x.batch {
            let src = x.channel(n, group.channel), dst = y.channel(n, group.channel)
            for j in 0..<group.octets {
                let (i, k) = group.octet(j)
                let v = affine(loadOctet(src + i, k), s, t)
                storeOctet(relu ? Engine.relu(v) : v, dst + i, k)
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
/// The parameter gradients ADD: `dgamma += Σdz·x̂`, `dbeta += Σdz`; pass `nil` for those of a frozen
/// layer. So does `dx` (`dx += …`: DenseNet's block buffers collect gradients from several layers)
/// unless `accumulate` is false, when `dx` is overwritten and its old contents never read.
func batchNormBackward(dy: ImageView, x: ImageView, mean: UnsafePointer<Float>,
                              variance: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                              beta: UnsafePointer<Float>, epsilon: Float, relu: Bool, batchStatistics: Bool,
                              dx: ImageView, accumulate: Bool = true, dgamma: UnsafeMutablePointer<Float>?,
                              dbeta: UnsafeMutablePointer<Float>?) {
    precondition(dy.batch == x.batch && dy.channels == x.channels && dy.plane == x.plane
                 && dx.batch == x.batch && dx.channels == x.channels && dx.plane == x.plane,
                 "batchNormBackward: dy, x and dx views differ in shape")
    let channels = x.channels, count = Double(x.batch * x.plane)
    // The same scale and shift as the forward's, so the ReLU mask matches it bit for bit.
    var constants = [Float](repeating: 0, count: 2 * channels)
    constants.withUnsafeMutableBufferPointer { buffer in
        let scale = buffer.baseAddress!, shift = scale + channels
        batchNormScaleShift(channels: channels, mean: mean, variance: variance, gamma: gamma, beta: beta,
                            epsilon: epsilon, scale: scale, shift: shift)
        forEachChannelGroup(x) { group in
            let sums = gradientSums(group, dy: dy, x: x, images: 0..<x.batch, mean: mean, scale: scale, shift: shift, relu: relu)
            let invStd = 1 / (group.lanes(variance) + epsilon).squareRoot()
            let sumDz = SIMD8<Float>(group.perChannel(sums.dz))
            let sumDzXhat = SIMD8<Float>(group.perChannel(sums.dzCentred)) * invStd
            if let dbeta { group.store(group.lanes(dbeta) + sumDz, dbeta) }
            if let dgamma { group.store(group.lanes(dgamma) + sumDzXhat, dgamma) }
            applyGradient(group, dy: dy, x: x, dx: dx, mean: mean, scale: scale, shift: shift, invStd: invStd, relu: relu,
                          sumDz: sumDz, sumDzXhat: sumDzXhat, count: count, batchStatistics: batchStatistics,
                          accumulate: accumulate)
        }
    }
}

/// Σdz and Σdz·(x − mean) of one channel group over `images`, per lane, added in image order in Double.
/// Padded lanes load dy = 0 and add nothing.
func gradientSums(_ group: ChannelGroup, dy: ImageView, x: ImageView, images: Range<Int>,
                          mean: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                          relu: Bool) -> (dz: SIMD8<Double>, dzCentred: SIMD8<Double>) {
    var sums = (dz: SIMD8<Double>(), dzCentred: SIMD8<Double>())
    // The kernel's buffer: mean, scale, shift lanes in, Σdz and Σdz·(x − mean) lanes out.
    var lanes = (SIMD16<Float>(lowHalf: group.lanes(mean), highHalf: group.lanes(scale)),
                 SIMD16<Float>(lowHalf: group.lanes(shift), highHalf: SIMD8()), SIMD8<Float>())
    withUnsafeMutableBytes(of: &lanes) { raw in
        let mean = raw.baseAddress!.assumingMemoryBound(to: Float.self)
        let scale = mean + 8, shift = mean + 16, dzLanes = mean + 24, centredLanes = mean + 32
        for n in images {
            // Σdz and Σdz·(x − mean) per lane, dz masked by the forward's ReLU like in `applyGradient`.
            kernels.batchnorm_gradient_sums(dzLanes, centredLanes, x.channel(n, group.channel),
                                            dy.channel(n, group.channel), group.run, mean, scale, shift,
                                            relu ? 1 : 0)
            sums.dz += SIMD8<Double>(UnsafeRawPointer(dzLanes).loadUnaligned(as: SIMD8<Float>.self))
            sums.dzCentred += SIMD8<Double>(UnsafeRawPointer(centredLanes).loadUnaligned(as: SIMD8<Float>.self))
        }
    }
    return sums
}

/// dx = scale·dz − scale·Σdz/M − scale·invStd·Σ(dz·x̂)/M·(x − mean) for one channel group over every image,
/// the sums (Σdz·x̂ = Σdz·(x − mean)·invStd) over the M = `count` values of the whole batch; without
/// `batchStatistics` just scale·dz.
func applyGradient(_ group: ChannelGroup, dy: ImageView, x: ImageView, dx: ImageView, mean: UnsafePointer<Float>,
                           scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, invStd: SIMD8<Float>, relu: Bool,
                           sumDz: SIMD8<Float>, sumDzXhat: SIMD8<Float>, count: Double, batchStatistics: Bool,
                           accumulate: Bool) {
    let m = group.lanes(mean), s = group.lanes(scale), t = group.lanes(shift)
    // dz = dy where the ReLU passed its input (x·scale + shift > 0), else 0.
    @inline(__always) func dz(_ xv: SIMD8<Float>, _ dyv: SIMD8<Float>) -> SIMD8<Float> {
        relu ? dyv.replacing(with: 0, where: .!affineReLUPasses(xv, s, t)) : dyv
    }
    let offset = batchStatistics ? s * sumDz / Float(count) : SIMD8<Float>()
    let slope = batchStatistics ? s * invStd * sumDzXhat / Float(count) : SIMD8<Float>()
    for n in 0..<x.batch {
        let xp = x.channel(n, group.channel), dyp = dy.channel(n, group.channel)
        let dxp = dx.channel(n, group.channel)
        for j in 0..<group.octets {
            let (i, k) = group.octet(j)
            let xv = loadOctet(xp + i, k)
            let g = s * dz(xv, loadOctet(dyp + i, k)) - offset - slope * (xv - m)
            storeOctet(accumulate ? loadOctet(dxp + i, k) + g : g, dxp + i, k)
        }
    }
}

/// Updates running statistics from one batch's: running = momentum·running + (1 − momentum)·batch,
/// where `momentum` is the fraction kept (Keras meaning). With `unbiasedVariance` the batch variance
/// is first scaled by M/(M−1), M = `batchCount` values per channel (PyTorch stores that estimate).
func batchNormUpdateRunning(channels: Int, batchMean: UnsafePointer<Float>,
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

/// Channels that share one vector of per-lane constants. Usually one channel whose pixels fill the
/// eight lanes; in single-pixel images (a [N, F] batch, 1x1 maps), whose channels lie side by side,
/// up to eight channels, one per lane. The same lane code then serves both layouts.
struct ChannelGroup {
    let channel: Int
    let channels: Int
    let plane: Int

    var channelsInLanes: Bool { plane == 1 }

    /// Per-channel values as lanes: broadcast, or one channel per lane.
    @inline(__always)
    func lanes(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        channelsInLanes ? loadOctet(p + channel, channels) : SIMD8(repeating: p[channel])
    }

    /// Writes per-channel lanes back (all lanes of a one-channel group hold its value).
    @inline(__always)
    func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        if channelsInLanes { storeOctet(v, p + channel, channels) } else { p[channel] = v[0] }
    }

    /// Values per image, contiguous from the group's first channel: its channels side by side, or a plane.
    var run: Int { channelsInLanes ? channels : plane }

    /// Groups of eight values per image: one group of channels, or the octets of a plane.
    var octets: Int { channelsInLanes ? 1 : (plane + 7) / 8 }

    /// Octet `j` of an image: offset from its first channel, and how many lanes are real.
    @inline(__always)
    func octet(_ j: Int) -> (offset: Int, lanes: Int) {
        channelsInLanes ? (0, channels) : (8 * j, min(8, plane - 8 * j))
    }

    /// Lane sums as per-channel totals: kept per lane, or all lanes of the one channel added up.
    @inline(__always)
    func perChannel(_ sums: SIMD8<Double>) -> SIMD8<Double> {
        channelsInLanes ? sums : SIMD8(repeating: sums.sum())
    }
}

/// Runs `body` for every channel group, in chunks of at least ~16K values so small planes do not
/// drown in scheduling. Chunks depend only on the shape, never on the thread count.
func forEachChannelGroup(_ x: ImageView, _ body: (ChannelGroup) -> Void) {
    let groupWidth = x.plane == 1 ? 8 : 1
    let groups = (x.channels + groupWidth - 1) / groupWidth
    let groupsPerChunk = max(1, min(groups, 16_384 / max(1, x.batch * x.plane * groupWidth)))
    parallelFor(chunks: (groups + groupsPerChunk - 1) / groupsPerChunk) { chunk in
        for g in chunk * groupsPerChunk..<min(groups, (chunk + 1) * groupsPerChunk) {
            let c = g * groupWidth
            body(ChannelGroup(channel: c, channels: min(groupWidth, x.channels - c), plane: x.plane))
        }
    }
}
