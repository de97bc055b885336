// Every kind of model the engine builds, exported to ONNX, passes ONNX's checker and computes in ONNX
// Runtime what the engine computes on the same inputs. Models are tiny (DenseNet-121 itself on
// 32x32 images) so each test takes seconds.
import Engine
import ModelExport
import TestSupport
import XCTest

final class ONNXRuntimeAgreementTests: XCTestCase {
    /// A DenseNet-BC with the small stem: two blocks of two layers, growth 4.
    static let tinyBC = DenseNetConfig(growthRate: 4, blockSizes: [2, 2], initialChannels: 8, bottleneckChannels: 8,
                                       compression: 0.5, stem: .small, convolutionInit: .heNormalFanOut, batchNormEpsilon: 1e-5)
    /// The same with the ImageNet stem (7x7/2 convolution, BatchNorm, 3x3/2 max pool), at DenseNet-121's ε.
    static let tinyImageNetStem = DenseNetConfig(growthRate: 4, blockSizes: [2, 2], initialChannels: 8,
                                                 bottleneckChannels: 8, compression: 0.5, stem: .imagenet)

    /// Gives every BatchNorm statistics and an affine map far from the identity, so a BatchNorm
    /// exported wrong (or not at all) changes the outputs.
    private func perturbBatchNorms(_ model: Model, seed: UInt64) {
        let random = CounterRandom(seed: seed)
        for (b, norm) in model.batchNorms.enumerated() {
            let r = random.stream(UInt64(b))
            for i in 0..<norm.features {
                let k = UInt64(4 * i)
                norm.gamma.value.data[i] = 0.5 + r.uniform(at: k)
                norm.beta.value.data[i] = 0.3 * r.normal(at: k + 1)
                norm.runningMean.value.data[i] = 0.3 * r.normal(at: k + 2)
                norm.runningVariance.value.data[i] = 0.5 + r.uniform(at: k + 3)
            }
        }
    }

    private func inputs(_ shape: [Int], seed: UInt64) -> Tensor {
        let t = Tensor(zeros: shape), r = CounterRandom(seed: seed)
        for i in 0..<t.count { t.data[i] = r.normal(at: UInt64(i)) }
        return t
    }

    /// Exports `config`'s model, runs 3 images through the engine and ONNX Runtime, and checks they agree
    /// within 1e-4 of the output's largest magnitude; returns what ONNX Runtime reported.
    @discardableResult
    private func assertAgreement(_ config: ModelConfig, metadata: [String: String] = [:],
                                 file: StaticString = #filePath, line: UInt = #line) throws -> ONNXRuntimeResult {
        _ = try ONNXRuntimeVenv.python()
        let model = try Model(config, seed: 7)
        perturbBatchNorms(model, seed: 8)
        let x = inputs([3] + config.inputShape, seed: 9)
        let expected = model.forward(x, context: .inference)
        let onnx = ONNXModelFile(model: model, metadata: metadata, producerVersion: "test")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-export-\(UUID().uuidString).onnx")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(onnx.bytes).write(to: url)
        let result = try ONNXRuntimeVenv.run(model: url, input: x.array, shape: x.shape)
        let outputName = config.head.layers.isEmpty ? ONNXModelFile.featuresName : ONNXModelFile.logitsName
        guard let output = result.outputs[outputName] else {
            XCTFail("no output \(outputName) among \(result.outputNames)", file: file, line: line)
            return result
        }
        let (values, shape) = output
        XCTAssertEqual(shape, expected.shape, file: file, line: line)
        let scale = expected.array.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, "an all-zero output would agree with anything", file: file, line: line)
        let worst = zip(values, expected.array).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale, "largest difference \(worst) for outputs up to \(scale)",
                                 file: file, line: line)
        return result
    }

    func testDenseNetBCWithLinearHeadsAgrees() throws {
        try assertAgreement(ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC, head: .linear(classes: 3)))
        try assertAgreement(ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC,
                                        head: .linear(classes: 3, pooling: .max), freezing: .backbone))
    }

    func testStudyHeadsAgree() throws {
        try assertAgreement(ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC, head: .studyOptimized(classes: 4),
                                        freezing: .upTo("denseblock1")))
        try assertAgreement(ModelConfig(inputShape: [1, 8, 8], backbone: Self.tinyBC, head: .studyFrozen(classes: 4),
                                        freezing: .backbone))
    }

    func testImageNetStemWithoutHeadGivesTheFeatureMap() throws {
        let result = try assertAgreement(ModelConfig(inputShape: [3, 20, 20], backbone: Self.tinyImageNetStem))
        XCTAssertEqual(result.outputNames, [ONNXModelFile.featuresName])
    }

    /// DenseNet-121 behind the whole input stage (grayscale to RGB, a bilinear resize from 20x20 up to
    /// 32x32, ImageNet normalisation): the outputs, their names, and the metadata as written.
    func testDenseNet121WithInputStageAgreesAndKeepsMetadata() throws {
        let config = ModelConfig(inputShape: [1, 20, 20],
                                 input: InputStage(grayscaleToRGB: true, resize: ImageSize(height: 32, width: 32),
                                                   normalization: .imagenet),
                                 backbone: .densenet121, head: .linear(classes: 5))
        let result = try assertAgreement(config, metadata: ["input_shape": "1x20x20", "class_names": #"["a","b"]"#])
        XCTAssertEqual(result.inputNames, [ONNXModelFile.inputName])
        XCTAssertEqual(result.outputNames, [ONNXModelFile.logitsName, ONNXModelFile.probabilitiesName])
        XCTAssertEqual(result.metadata, ["input_shape": "1x20x20", "class_names": #"["a","b"]"#])
        let probabilities = try XCTUnwrap(result.outputs[ONNXModelFile.probabilitiesName])
        XCTAssertEqual(probabilities.shape, [3, 5])
        XCTAssertEqual(probabilities.values.prefix(5).reduce(0, +), 1, accuracy: 1e-5)
    }

    /// An unusual resize (down, by a ratio that is no simple fraction) with the small stem.
    func testDownwardResizeAgrees() throws {
        try assertAgreement(ModelConfig(inputShape: [2, 13, 11], input: InputStage(resize: ImageSize(height: 9, width: 7)),
                                        backbone: Self.tinyBC, head: .studyOptimized(classes: 2)))
    }
}
