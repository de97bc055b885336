// Built models: tensors follow the description, torchvision weights load, freezing holds through
// training, and a frozen backbone's cached features train the head exactly as the full model would.
import XCTest
@testable import Engine

final class ModelTests: XCTestCase {
    /// A DenseNet-BC small enough for debug builds: blocks of 2 layers, growth 4, on 8x8x1 images.
    static let tinyBC = DenseNetConfig(growthRate: 4, blockSizes: [2, 2], initialChannels: 8, bottleneckChannels: 8,
                                       compression: 0.5, stem: .small, convolutionInit: .heNormalFanOut)

    static func examples(_ count: Int, seed: UInt64, shape: [Int] = [1, 8, 8], classes: Int = 3) -> LabeledExamples {
        LabeledExamples(inputs: DenseNetGradientTests.randomInputs([count] + shape, seed: seed),
                        labels: (0..<count).map { $0 % classes })
    }

    func testTensorsFollowTheDescription() throws {
        let model = try Model(ModelConfig(inputShape: [1, 28, 28], backbone: try .bc(depth: 40, growthRate: 12),
                                          head: .studyOptimized(classes: 10)), seed: 1)
        XCTAssertEqual(model.namedTensors.map(\.name), model.architecture.tensors.map(\.name))
        XCTAssertEqual(model.namedTensors.map(\.tensor.shape), model.architecture.tensors.map(\.shape))
        XCTAssertEqual(model.trainableParameters.reduce(0) { $0 + $1.value.count }, ModelSummary(model.architecture).trainable)
        let logits = model.forward(Self.examples(2, seed: 3, shape: [1, 28, 28]).inputs, context: .inference)
        XCTAssertEqual(logits.shape, [2, 10])
    }

    func testDenseNet121LoadsTorchvisionWeights() throws {
        let model = try Model(ModelConfig(inputShape: [3, 32, 32], backbone: .densenet121, head: .linear(classes: 10)),
                              seed: 1)
        let dict = TorchvisionDenseNet121.stateDict()
        try model.loadTorchvision(dict)
        let tensors = Dictionary(uniqueKeysWithValues: model.namedTensors)
        for key in ["features.conv0.weight", "features.denseblock4.denselayer16.norm2.running_var", "features.norm5.bias"] {
            XCTAssertEqual(tensors[key]!.array, dict[key]!.array, key)
        }
        XCTAssertNotEqual(tensors["head.dense1.weight"]!.shape, dict["classifier.weight"]!.shape)
        var broken = dict
        broken["features.norm5.weight"] = Tensor(zeros: [1000])
        XCTAssertThrowsError(try model.loadTorchvision(broken)) {
            XCTAssertEqual($0 as? ModelError, .weightShapeMismatch(key: "features.norm5.weight", expected: [1024], found: [1000]))
        }
    }

    /// Trains `model` for one epoch of a few batches and returns the tensors before and after.
    private func trainBriefly(_ model: TrainableNetwork, on data: LabeledExamples) throws -> (before: [String: Tensor], after: [String: Tensor]) {
        let before = model.snapshot()
        let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 1e-2),
                              options: TrainingOptions(epochs: 1, batchSize: 4, seed: 2))
        try trainer.fit(data)
        return (before, model.snapshot())
    }

    func testFrozenLayersAndTheirBatchNormStatisticsStayBitIdentical() throws {
        let model = try Model(ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC, head: .linear(classes: 3),
                                          freezing: .upTo("denseblock1")), seed: 4)
        let (before, after) = try trainBriefly(model, on: Self.examples(12, seed: 5))
        let frozenLayers = model.architecture.layers.filter(\.isFrozen).flatMap(\.tensors).map(\.name)
        XCTAssertTrue(frozenLayers.contains("features.denseblock1.denselayer2.norm1.running_mean"))
        for name in frozenLayers { XCTAssertEqual(after[name]!.array, before[name]!.array, name) }
        for name in ["features.transition1.conv.weight", "features.transition1.norm.running_mean",
                     "features.norm5.running_var", "head.dense1.weight"] {
            XCTAssertNotEqual(after[name]!.array, before[name]!.array, name)
        }
    }

    func testCachedFeaturesTrainTheHeadExactlyAsTheFrozenModel() throws {
        let config = ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC, head: .studyFrozen(classes: 3),
                                 freezing: .backbone)
        let data = Self.examples(12, seed: 6)
        let whole = try Model(config, seed: 7), split = try Model(config, seed: 7)
        let (before, after) = try trainBriefly(whole, on: data)
        for name in before.keys where name.hasPrefix("features.") { XCTAssertEqual(after[name]!.array, before[name]!.array, name) }

        let features = LabeledExamples(inputs: split.features(for: data.inputs, batchSize: 5), labels: data.labels)
        XCTAssertEqual(features.inputs.shape, [12, 16, 4, 4])
        let (_, headAfter) = try trainBriefly(split.head, on: features)
        for (name, tensor) in headAfter { XCTAssertEqual(tensor.array, after[name]!.array, name) }
    }

    func testTrainingIsBitIdenticalOnOneAndTwoThreads() throws {
        func train(threads: Int) throws -> [String: Tensor] {
            EngineThreads.set(threads)
            defer { EngineThreads.set(nil) }
            let model = try Model(ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC, head: .studyOptimized(classes: 3)),
                                  seed: 8)
            return try trainBriefly(model, on: Self.examples(12, seed: 9)).after
        }
        let one = try train(threads: 1), two = try train(threads: 2)
        for (name, tensor) in one { XCTAssertEqual(tensor.array, two[name]!.array, name) }
    }

    func testInputStageRepeatsGrayResizesAndNormalises() throws {
        let stage = InputStage(grayscaleToRGB: true, resize: ImageSize(height: 10, width: 10),
                               normalization: InputStage.Normalization(mean: [0.1, 0.2, 0.3], std: [0.5, 1, 2]))
        let staged = try Model(ModelConfig(inputShape: [1, 8, 8], input: stage, backbone: Self.tinyBC), seed: 2)
        let plain = try Model(ModelConfig(inputShape: [3, 10, 10], backbone: Self.tinyBC), seed: 2)
        let gray = Self.examples(2, seed: 3).inputs
        let rgb = Tensor(zeros: [2, 3, 8, 8])
        for n in 0..<2 {
            for c in 0..<3 { for i in 0..<64 { rgb.data[(n * 3 + c) * 64 + i] = gray.data[n * 64 + i] } }
        }
        let resized = Resize(name: "check", height: 10, width: 10).forward(rgb, context: .inference)
        for n in 0..<2 {
            for (c, (mean, std)) in [(0.1, 0.5), (0.2, 1), (0.3, 2)].enumerated() {
                for i in 0..<100 {
                    let k = (n * 3 + c) * 100 + i
                    resized.data[k] = (resized.data[k] - Float(mean)) / Float(std)
                }
            }
        }
        let a = staged.forward(gray, context: .inference), b = plain.forward(resized, context: .inference)
        XCTAssertEqual(a.shape, [2, 16, 5, 5])
        for i in 0..<a.count { XCTAssertEqual(a.data[i], b.data[i], accuracy: 1e-4) }
    }
}
