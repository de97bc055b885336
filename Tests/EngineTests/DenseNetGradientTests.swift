// The backbone's backward pass (fused BN-ReLU convolutions over block buffers, transitions, both
// stems) against central finite differences of the loss, on tiny DenseNets.
import XCTest
@testable import Engine

final class DenseNetGradientTests: XCTestCase {
    /// Random inputs of `shape` ([N, C, H, W]) from `seed`.
    static func randomInputs(_ shape: [Int], seed: UInt64) -> Tensor {
        let t = Tensor(zeros: shape)
        let r = CounterRandom(seed: seed)
        for i in 0..<t.count { t.data[i] = r.normal(at: UInt64(i)) }
        return t
    }

    /// Mean cross-entropy of `model` on (x, labels) in training mode.
    private func loss(_ model: Model, _ x: Tensor, _ labels: [Int]) -> Float {
        softmaxCrossEntropy(logits: model.forward(x, context: ForwardContext(training: true)), labels: labels).loss
    }

    /// Compares the analytic gradient of a few elements of every named parameter with central differences.
    private func checkGradients(_ config: ModelConfig, batch: Int, parameters names: [String],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try Model(config, seed: 11)
        let x = Self.randomInputs([batch] + config.inputShape, seed: 5)
        let labels = (0..<batch).map { $0 % 3 }
        for p in model.parameters { p.grad.fill(0) }
        let logits = model.forward(x, context: ForwardContext(training: true))
        model.backward(logitGradient: softmaxCrossEntropy(logits: logits, labels: labels).dlogits)
        let byName = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0) })
        // Small enough that few pre-activations cross a ReLU kink, large enough for float32 losses.
        let eps: Float = 2e-3
        for name in names {
            let p = try XCTUnwrap(byName[name], "no parameter \(name)", file: file, line: line)
            for i in Set([0, p.value.count / 2, p.value.count - 1]) {
                let saved = p.value.data[i]
                p.value.data[i] = saved + eps
                let up = loss(model, x, labels)
                p.value.data[i] = saved - eps
                let down = loss(model, x, labels)
                p.value.data[i] = saved
                let numeric = (up - down) / (2 * eps), analytic = p.grad.data[i]
                XCTAssertEqual(analytic, numeric, accuracy: 2e-3 + 5e-2 * abs(numeric),
                               "\(name)[\(i)]", file: file, line: line)
            }
        }
    }

    func testSmallStemBlocksAndTransitions() throws {
        let net = DenseNetConfig(growthRate: 3, blockSizes: [2, 2], initialChannels: 4, bottleneckChannels: 5,
                                 compression: 0.5, stem: .small, convolutionInit: .heNormalFanOut)
        try checkGradients(ModelConfig(inputShape: [2, 6, 6], backbone: net, head: .linear(classes: 3)), batch: 3,
                           parameters: ["features.conv0.weight",
                                        "features.denseblock1.denselayer1.norm1.weight",
                                        "features.denseblock1.denselayer1.conv1.weight",
                                        "features.denseblock1.denselayer1.norm2.bias",
                                        "features.denseblock1.denselayer2.conv2.weight",
                                        "features.transition1.norm.weight", "features.transition1.conv.weight",
                                        "features.denseblock2.denselayer1.norm1.bias",
                                        "features.denseblock2.denselayer2.conv1.weight",
                                        "features.norm5.weight", "features.norm5.bias", "head.dense1.weight"])
    }

    func testImageNetStem() throws {
        let net = DenseNetConfig(growthRate: 2, blockSizes: [1, 1], initialChannels: 4, bottleneckChannels: 4,
                                 compression: 0.5, stem: .imagenet, convolutionInit: .heNormalFanOut)
        try checkGradients(ModelConfig(inputShape: [3, 19, 19], backbone: net, head: .linear(classes: 3, pooling: .max)),
                           batch: 2, parameters: ["features.conv0.weight", "features.norm0.weight", "features.norm0.bias",
                                                  "features.denseblock1.denselayer1.conv1.weight",
                                                  "features.transition1.conv.weight"])
    }

    func testFrozenPrefixGetsNoGradientButTheRestDoes() throws {
        let net = DenseNetConfig(growthRate: 3, blockSizes: [2, 2], initialChannels: 4, bottleneckChannels: 5,
                                 compression: 0.5, stem: .small, convolutionInit: .heNormalFanOut)
        let config = ModelConfig(inputShape: [2, 6, 6], backbone: net, head: .linear(classes: 3),
                                 freezing: .upTo("denseblock1.denselayer1"))
        try checkGradients(config, batch: 3, parameters: ["features.denseblock1.denselayer2.norm1.weight",
                                                          "features.denseblock1.denselayer2.conv1.weight",
                                                          "features.transition1.conv.weight"])
        let model = try Model(config, seed: 1)
        let frozen = model.parameters.filter { !$0.trainable }.map(\.name)
        XCTAssertEqual(frozen.first, "features.conv0.weight")
        XCTAssertEqual(frozen.last, "features.denseblock1.denselayer1.conv2.weight")
        for p in model.parameters { p.grad.fill(0) }
        let logits = model.forward(Self.randomInputs([3, 2, 6, 6], seed: 2), context: ForwardContext(training: true))
        model.backward(logitGradient: softmaxCrossEntropy(logits: logits, labels: [0, 1, 2]).dlogits)
        for p in model.parameters where !p.trainable { XCTAssertTrue(p.grad.array.allSatisfy { $0 == 0 }, p.name) }
    }
}
