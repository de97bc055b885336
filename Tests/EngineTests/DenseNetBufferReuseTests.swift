// The DenseNet keeps its block buffers and backward temporaries across steps: batches of changing
// sizes and inference forwards in between must leave training exactly as it would be without them.
import XCTest
@testable import Engine

final class DenseNetBufferReuseTests: XCTestCase {
    /// An ImageNet stem (BN and max pool in it) as well as blocks and a transition; frozen up to the
    /// first block, the first trained unit's BN still takes gradients but passes none on.
    private func config(_ freezing: Freezing) -> ModelConfig {
        ModelConfig(inputShape: [1, 12, 12],
                    backbone: DenseNetConfig(growthRate: 4, blockSizes: [2, 2], initialChannels: 8,
                                             bottleneckChannels: 8, compression: 0.5, stem: .imagenet,
                                             convolutionInit: .heNormalFanOut),
                    head: .linear(classes: 3), freezing: freezing)
    }

    /// Weights after two epochs of batches 4, 4, 2 (10 examples), with or without validating on 3
    /// examples after each epoch; both runs change batch size between training steps.
    private func train(_ freezing: Freezing, validating: Bool) throws -> [String: Tensor] {
        let model = try Model(config(freezing), seed: 11)
        let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 1e-2),
                              options: TrainingOptions(epochs: 2, batchSize: 4, seed: 3))
        let validation = ModelTests.examples(3, seed: 13, shape: [1, 12, 12])
        try trainer.fit(ModelTests.examples(10, seed: 12, shape: [1, 12, 12]), validation: validating ? validation : nil)
        return model.snapshot()
    }

    func testInferenceOfAnotherBatchSizeBetweenStepsLeavesTrainingUnchanged() throws {
        for freezing in [Freezing.none, .upTo("denseblock1")] {
            let validated = try train(freezing, validating: true), plain = try train(freezing, validating: false)
            XCTAssertEqual(Set(validated.keys), Set(plain.keys))
            for (name, tensor) in plain { XCTAssertEqual(validated[name]!.array, tensor.array, "\(freezing) \(name)") }
            print("DenseNet buffer reuse, \(freezing): weights digest \(String(Self.digest(plain), radix: 16))")
        }
    }

    /// FNV-1a over the bit patterns of every tensor, in name order: printed so that runs of two code
    /// versions can be compared bit for bit.
    static func digest(_ tensors: [String: Tensor]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in tensors.keys.sorted() {
            for value in tensors[name]!.array {
                hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
            }
        }
        return hash
    }
}
