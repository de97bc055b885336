// The DenseNet-BC layer benchmark case: BN-ReLU-conv1x1-BN-ReLU-conv3x3 writing into the block buffer,
// forward and backward, with both BN-ReLUs fused into the convolutions' input packing.
import Engine

/// One training step of a DenseNet-BC bottleneck layer on an `[N, inChannels + growth, H, W]` block
/// buffer: reads channels `0..<inChannels`, writes `inChannels..<+growth`, and adds its input gradient
/// into the block gradient's prefix (the concat's backward).
///
/// BatchNorm is full training mode (batch statistics, running-stat update, affine gradients), written
/// here with plain per-channel loops since the engine's BatchNorm layer lives in another module part.
final class DenseNetLayerBenchmark {
    let batch: Int, inChannels: Int, bottleneck: Int, growth: Int
    let g1: ConvGeometry, g2: ConvGeometry
    let block: Tensor, blockGradient: Tensor
    let z: Tensor, zGradient: Tensor, zHatGradient: Tensor, xHatGradient: Tensor
    /// Per-channel sum and sum of squares of z, gathered by conv1 as it writes z (BN2's statistics).
    let zMoments: UnsafeMutableBufferPointer<Double>
    let w1: Tensor, w2: Tensor, w1Gradient: Tensor, w2Gradient: Tensor
    let norm1: BatchNormReLU, norm2: BatchNormReLU

    init(batch: Int, inChannels: Int, bottleneck: Int, growth: Int, size: Int) {
        self.batch = batch; self.inChannels = inChannels; self.bottleneck = bottleneck; self.growth = growth
        g1 = ConvGeometry(inChannels: inChannels, outChannels: bottleneck, inputHeight: size, inputWidth: size,
                          kernelHeight: 1, kernelWidth: 1, padding: .valid)
        g2 = ConvGeometry(inChannels: bottleneck, outChannels: growth, inputHeight: size, inputWidth: size,
                          kernelHeight: 3, kernelWidth: 3, padding: .symmetric(1))
        let random = CounterRandom(seed: 7)
        block = Tensor(zeros: [batch, inChannels + growth, size, size])
        for i in 0..<block.count { block.data[i] = random.normal(at: UInt64(i)) }
        blockGradient = Tensor(zeros: block.shape)
        let newChannels = blockGradient.images(channels: inChannels..<(inChannels + growth))
        for n in 0..<batch {
            for c in 0..<growth {
                for p in 0..<newChannels.plane {
                    newChannels.channel(n, c)[p] = random.stream(1).uniform(at: UInt64((n * growth + c) * newChannels.plane + p)) - 0.5
                }
            }
        }
        z = Tensor(zeros: [batch, bottleneck, size, size])
        zGradient = Tensor(zeros: z.shape); zHatGradient = Tensor(zeros: z.shape)
        zMoments = .allocate(capacity: 2 * bottleneck)
        xHatGradient = Tensor(zeros: [batch, inChannels, size, size])
        w1 = Tensor(zeros: [bottleneck, inChannels, 1, 1]); w2 = Tensor(zeros: [growth, bottleneck, 3, 3])
        heNormal(w1, fan: bottleneck, random: random.stream(2))
        heNormal(w2, fan: growth * 9, random: random.stream(3))
        w1Gradient = Tensor(zeros: w1.shape); w2Gradient = Tensor(zeros: w2.shape)
        norm1 = BatchNormReLU(channels: inChannels)
        norm2 = BatchNormReLU(channels: bottleneck)
    }

    deinit { zMoments.deallocate() }

    /// Forward and backward of the layer; gradients of weights and BN affines are accumulated.
    func step() {
        let x = block.images(channels: 0..<inChannels)
        let newChannels = block.images(channels: inChannels..<(inChannels + growth))
        let newGradient = blockGradient.images(channels: inChannels..<(inChannels + growth))
        norm1.computeStatistics(x)
        norm1.withTransform { t in
            convolutionForward(g1, input: x, weights: w1.data, bias: nil, inputTransform: t, output: z.images(),
                               outputMoments: zMoments.baseAddress!)
        }
        norm2.setStatistics(moments: zMoments.baseAddress!, count: batch * z.shape[2] * z.shape[3])
        norm2.withTransform { t in
            convolutionForward(g2, input: z.images(), weights: w2.data, bias: nil, inputTransform: t, output: newChannels)
            convolutionBackwardWeights(g2, input: z.images(), inputTransform: t, outputGradient: newGradient,
                                       weightGradient: w2Gradient.data, biasGradient: nil)
        }
        convolutionBackwardData(g2, outputGradient: newGradient, weights: w2.data, inputGradient: zHatGradient.images())
        norm2.backward(input: z.images(), outputGradient: zHatGradient.images(), inputGradient: zGradient.images(),
                       accumulate: false)
        norm1.withTransform { t in
            convolutionBackwardWeights(g1, input: x, inputTransform: t, outputGradient: zGradient.images(),
                                       weightGradient: w1Gradient.data, biasGradient: nil)
        }
        convolutionBackwardData(g1, outputGradient: zGradient.images(), weights: w1.data, inputGradient: xHatGradient.images())
        norm1.backward(input: x, outputGradient: xHatGradient.images(),
                       inputGradient: blockGradient.images(channels: 0..<inChannels), accumulate: true)
    }

    /// Convolution flops of one step: forward, backward-data and backward-weights of both convs.
    var flops: Double { Double(3 * 2 * batch * (g1.macsPerImage + g2.macsPerImage)) }
}

/// Training-mode BatchNorm followed by ReLU, per channel over batch and pixels (PyTorch conventions:
/// momentum 0.1, epsilon 1e-5, biased variance to normalise, unbiased for the running variance).
final class BatchNormReLU {
    let channels: Int
    var gamma: [Float], beta: [Float], gammaGradient: [Float], betaGradient: [Float]
    var runningMean: [Float], runningVariance: [Float]
    var mean: [Float], inverseStd: [Float], scale: [Float], shift: [Float]

    init(channels: Int) {
        self.channels = channels
        gamma = .init(repeating: 1, count: channels); beta = .init(repeating: 0, count: channels)
        gammaGradient = .init(repeating: 0, count: channels); betaGradient = gammaGradient
        runningMean = gammaGradient; runningVariance = gamma
        mean = gammaGradient; inverseStd = gamma; scale = gamma; shift = beta
    }

    func withTransform(_ body: (ConvInputTransform) -> Void) {
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { b in body(ConvInputTransform(scale: s.baseAddress!, shift: b.baseAddress!)) }
        }
    }

    func computeStatistics(_ x: ImageView) {
        // (sum, sum of squares) per channel, each channel summed by one chunk in image order.
        var moments = [Double](repeating: 0, count: 2 * channels)
        moments.withUnsafeMutableBufferPointer { moments in
            parallelFor(chunks: channels) { c in
                for n in 0..<x.batch {
                    let (s, q) = sumAndSquares(x.channel(n, c), x.plane)
                    moments[c] += Double(s); moments[channels + c] += Double(q)
                }
            }
            setStatistics(moments: moments.baseAddress!, count: x.batch * x.plane)
        }
    }

    /// Batch statistics from per-channel sums (`moments[c]`) and sums of squares
    /// (`moments[channels + c]`) over `count` values each; updates the running statistics.
    func setStatistics(moments: UnsafeMutablePointer<Double>, count: Int) {
        let n = Double(count)
        for c in 0..<channels {
            let m = moments[c] / n, variance = max(moments[channels + c] / n - m * m, 0)
            mean[c] = Float(m)
            inverseStd[c] = Float(1 / (variance + 1e-5).squareRoot())
            runningMean[c] = 0.9 * runningMean[c] + 0.1 * mean[c]
            runningVariance[c] = 0.9 * runningVariance[c] + 0.1 * Float(variance * n / max(n - 1, 1))
            scale[c] = gamma[c] * inverseStd[c]
            shift[c] = beta[c] - mean[c] * scale[c]
        }
    }

    /// From the gradient w.r.t. ReLU(BN(x)) to the gradient w.r.t. x (`+=` when `accumulate`).
    func backward(input x: ImageView, outputGradient dy: ImageView, inputGradient dx: ImageView, accumulate: Bool) {
        let count = Float(x.batch * x.plane)
        gammaGradient.withUnsafeMutableBufferPointer { dGamma in
            betaGradient.withUnsafeMutableBufferPointer { dBeta in
                parallelFor(chunks: channels) { c in
                    let s = SIMD8(repeating: scale[c]), b = SIMD8(repeating: shift[c]), m = SIMD8(repeating: mean[c])
                    var sumG = SIMD8<Float>(), sumGX = SIMD8<Float>()
                    for n in 0..<x.batch {
                        let xp = x.channel(n, c), gp = dy.channel(n, c)
                        forEachVector(x.plane) { i, lanes in
                            let xv = load(xp + i, lanes), g = load(gp + i, lanes).replacing(with: 0, where: xv * s + b .<= 0)
                            sumG += g; sumGX += g * (xv - m)
                        }
                    }
                    let inv = inverseStd[c], gSum = sumG.sum(), gxSum = sumGX.sum() * inv
                    dGamma[c] += gxSum; dBeta[c] += gSum
                    let k = SIMD8(repeating: gamma[c] * inv), meanG = SIMD8(repeating: gSum / count)
                    let meanGX = SIMD8(repeating: gxSum / count * inv)
                    for n in 0..<x.batch {
                        let xp = x.channel(n, c), gp = dy.channel(n, c), out = dx.channel(n, c)
                        forEachVector(x.plane) { i, lanes in
                            let xv = load(xp + i, lanes), g = load(gp + i, lanes).replacing(with: 0, where: xv * s + b .<= 0)
                            var v = k * (g - meanG - (xv - m) * meanGX)
                            if accumulate { v += load(out + i, lanes) }
                            store(v, out + i, lanes)
                        }
                    }
                }
            }
        }
    }
}

/// Calls `body(i, lanes)` over `0..<count` in steps of 8, the last step with the remaining lanes.
@inline(__always)
private func forEachVector(_ count: Int, _ body: (Int, Int) -> Void) {
    var i = 0
    while i < count {
        body(i, min(8, count - i))
        i += 8
    }
}

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>, _ lanes: Int) -> SIMD8<Float> {
    if lanes == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>()
    for l in 0..<lanes { v[l] = p[l] }
    return v
}

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
    for l in 0..<lanes { p[l] = v[l] }
}

private func sumAndSquares(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> (Float, Float) {
    var s = SIMD8<Float>(), q = SIMD8<Float>()
    forEachVector(count) { i, lanes in
        let v = load(p + i, lanes)
        s += v; q = q.addingProduct(v, v)
    }
    return (s.sum(), q.sum())
}
