// One DenseNet bottleneck layer on a block buffer of its own, driven exactly as the backbone drives
// it: the engine's hottest unit, measured in isolation by `tlab bench kernels`.

/// A DenseNet-BC dense layer (BN-ReLU-1x1 conv to the bottleneck, BN-ReLU-3x3 conv to the growth
/// rate, written after its input channels in the block buffer) over random inputs and a random
/// gradient for its new channels. `trainingStep()` is one forward and backward in training mode:
/// batch statistics, running-statistics update, weight and BN gradients, and the input gradient
/// added into the block gradient (the concatenation's backward).
package final class IsolatedDenseLayer {
    private let layer: DenseLayer
    private let block: StatisticsBuffer
    private let blockGradient: Tensor
    private let scratch = BackwardScratch()
    /// Convolution flops of one training step: forward, backward-data and backward-weights of both convs.
    package let flops: Double

    package init(batch: Int, inputChannels: Int, growthRate: Int, bottleneckChannels: Int, size: Int,
                seed: UInt64 = 7) throws {
        var config = try DenseNetConfig.bc(depth: 40, growthRate: growthRate)
        config.bottleneckChannels = bottleneckChannels
        let random = CounterRandom(seed: seed)
        layer = DenseLayer(name: "layer", inputChannels: inputChannels, config, random: random.stream(0))
        block = StatisticsBuffer(zeros: [batch, inputChannels + growthRate, size, size])
        let input = random.stream(1)
        for i in 0..<block.values.count { block.values.data[i] = input.normal(at: UInt64(i)) }
        block.updateStatistics(0..<inputChannels, shards: nil)
        blockGradient = Tensor(zeros: block.values.shape)
        let newChannels = blockGradient.images(channels: inputChannels..<(inputChannels + growthRate))
        let gradient = random.stream(2)
        for n in 0..<batch {
            for c in 0..<growthRate {
                let plane = newChannels.channel(n, c)
                for p in 0..<newChannels.plane {
                    plane[p] = gradient.uniform(at: UInt64((n * growthRate + c) * newChannels.plane + p)) - 0.5
                }
            }
        }
        let shape = block.values.shape
        let macs = layer.conv1.geometry(for: [batch, inputChannels, size, size]).macsPerImage
            + layer.conv2.geometry(for: [batch, bottleneckChannels, shape[2], shape[3]]).macsPerImage
        flops = Double(3 * 2 * batch * macs)
    }

    package func trainingStep() {
        layer.forward(block, training: true, shards: nil)
        layer.backward(block, blockGradient: blockGradient, inputGradient: true, shards: nil, scratch: scratch)
    }
}
