// A tiny fixed engine workload whose result is a digest of trained weights: the same on every CPU
// and kernel path (qemu's Nehalem against the native AVX2 run), and short and fixed enough that its
// instruction counts under callgrind guard the kernels against regressions (scripts/check-instructions).
import Engine

/// Three Adam steps of a small DenseNet-BC (an ImageNet stem, two blocks of two layers, a dense head)
/// on 12 random 1x16x16 images: every kernel of every path runs (GEMM tiles of all three kinds,
/// output moments, BatchNorm statistics and backward with the ReLU mask).
public enum FixedWorkload {
    /// FNV-1a over the names and weight bit patterns of the trained model, in parameter order.
    public static func trainedWeightsDigest() throws -> UInt64 {
        let config = ModelConfig(inputShape: [1, 16, 16],
                                 backbone: DenseNetConfig(growthRate: 4, blockSizes: [2, 2], initialChannels: 8,
                                                          bottleneckChannels: 8, compression: 0.5, stem: .imagenet,
                                                          convolutionInit: .heNormalFanOut),
                                 head: .linear(classes: 3))
        let model = try Model(config, seed: 11)
        let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 1e-2),
                              options: TrainingOptions(epochs: 1, batchSize: 4, seed: 3))
        let count = 12, inputs = Tensor(zeros: [count, 1, 16, 16]), random = CounterRandom(seed: 12)
        for i in 0..<inputs.count { inputs.data[i] = random.normal(at: UInt64(i)) }
        try trainer.fit(LabeledExamples(inputs: inputs, labels: (0..<count).map { $0 % 3 }), validation: nil)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: UInt64) { hash = (hash ^ value) &* 0x100_0000_01b3 }
        for parameter in model.parameters {
            parameter.name.utf8.forEach { mix(UInt64($0)) }
            parameter.value.array.forEach { mix(UInt64($0.bitPattern)) }
        }
        return hash
    }
}
