// Layer tables of the study's models: parameter counts against Keras's published totals and against
// counts worked out by hand, output shapes at the study's input sizes, and freezing.
import XCTest
@testable import Engine

final class ModelDescriptionTests: XCTestCase {
    private func summary(_ config: ModelConfig) throws -> ModelSummary {
        ModelSummary(try ModelDescription(config))
    }

    /// Trainable parameters of one dense layer fed `c` channels: BN(c), 1x1 conv c→b, BN(b), 3x3 conv b→k.
    private func denseLayerTrainable(_ c: Int, growth k: Int, bottleneck b: Int) -> Int {
        2 * c + c * b + 2 * b + b * k * 9
    }

    func testDenseNet121WithoutTopMatchesKeras() throws {
        let s = try summary(ModelConfig(inputShape: [3, 224, 224], backbone: .densenet121))
        XCTAssertEqual(s.total, 7_037_504)
        XCTAssertEqual(s.trainable, 6_953_856)
        XCTAssertEqual(s.nonTrainable, 83_648)
    }

    func testDenseNet121OutputShapes() throws {
        for (size, out) in [(155, [1024, 4, 4]), (224, [1024, 7, 7]), (32, [1024, 1, 1])] {
            let d = try ModelDescription(ModelConfig(inputShape: [3, size, size], backbone: .densenet121))
            XCTAssertEqual(d.outputShape, out, "input \(size)")
        }
    }

    func testStudyInputStageResizesCIFARTo155() throws {
        let d = try ModelDescription(ModelConfig(inputShape: [3, 32, 32], input: .study, backbone: .densenet121))
        XCTAssertEqual(d.layers.first { $0.name == "input.resize" }?.outputShape, [3, 155, 155])
        XCTAssertEqual(d.backboneOutputShape, [1024, 4, 4])
    }

    func testTooSmallInputNamesTheLayer() {
        XCTAssertThrowsError(try ModelDescription(ModelConfig(inputShape: [3, 28, 28], backbone: .densenet121))) {
            XCTAssertEqual($0 as? ModelError, .inputTooSmall(shape: [512, 1, 1], layer: "features.transition3.pool"))
        }
    }

    func testDenseNetBC40OnFashionMNISTWithLinearHead() throws {
        let net = try DenseNetConfig.bc(depth: 40, growthRate: 12)
        XCTAssertEqual(net.blockSizes, [6, 6, 6])
        let d = try ModelDescription(ModelConfig(inputShape: [1, 28, 28], backbone: net, head: .linear(classes: 10)))
        // By hand: stem 3x3 1→24; blocks of 6 layers (k 12, bottleneck 48); transitions halve.
        var trainable = 9 * 1 * 24, buffers = 0, c = 24
        for block in 0..<3 {
            for _ in 0..<6 {
                trainable += denseLayerTrainable(c, growth: 12, bottleneck: 48)
                buffers += 2 * c + 2 * 48
                c += 12
            }
            if block < 2 {
                trainable += 2 * c + c * (c / 2)
                buffers += 2 * c
                c /= 2
            }
        }
        XCTAssertEqual(c, 132)
        trainable += 2 * 132 + 132 * 10 + 10
        buffers += 2 * 132
        let s = ModelSummary(d)
        XCTAssertEqual(s.trainable, trainable)
        XCTAssertEqual(s.trainable, 175_690, "the figure PyTorch reports for this model")
        XCTAssertEqual(s.nonTrainable, buffers)
        XCTAssertEqual(d.backboneOutputShape, [132, 7, 7])
        XCTAssertEqual(d.outputShape, [10])
    }

    func testBCDepthMustFitTheBlocks() {
        XCTAssertThrowsError(try DenseNetConfig.bc(depth: 41, growthRate: 12)) {
            guard case .invalidConfig(field: "depth", value: "41", _)? = $0 as? ModelError else {
                return XCTFail("\($0)")
            }
        }
    }

    func testHeadPresetCounts() throws {
        func counts(_ head: HeadConfig, input: Int = 224, freezing: Freezing = .none) throws -> (Int, Int) {
            let whole = try summary(ModelConfig(inputShape: [3, input, input], backbone: .densenet121,
                                                head: head, freezing: freezing))
            return (whole.trainable, whole.nonTrainable)
        }
        let backbone = (6_953_856, 83_648)
        let linear = try counts(.linear(classes: 10, pooling: .max))
        XCTAssertEqual(linear.0, backbone.0 + 1024 * 10 + 10)
        XCTAssertEqual(linear.1, backbone.1)

        let optimized = try counts(.studyOptimized(classes: 10))
        let optimizedHead = 2 * 1024 + (1024 * 256 + 256) + (256 * 128 + 128) + 2 * 128 + (128 * 10 + 10)
        XCTAssertEqual(optimized.0, backbone.0 + optimizedHead)
        XCTAssertEqual(optimized.1, backbone.1 + 2 * 1024 + 2 * 128)

        // The transfer model at 155x155: the head flattens the 4x4x1024 map; the backbone is frozen.
        let frozen = try counts(.studyFrozen(classes: 10), input: 155, freezing: .backbone)
        let flat = 4 * 4 * 1024
        let frozenHead = 2 * flat + (flat * 256 + 256) + (256 * 128 + 128) + 2 * 128 + 2 * 128 + (128 * 10 + 10)
        XCTAssertEqual(frozen.0, frozenHead)
        XCTAssertEqual(frozen.1, 7_037_504 + 2 * flat + 2 * 128 + 2 * 128)
    }

    func testFreezingUpToABlockFreezesStemAndEarlierBlocks() throws {
        let all = try summary(ModelConfig(inputShape: [3, 32, 32], backbone: .densenet121))
        let d = try ModelDescription(ModelConfig(inputShape: [3, 32, 32], backbone: .densenet121,
                                                 freezing: .upTo("denseblock1")))
        var stemAndBlock1 = 64 * 3 * 49 + 2 * 64
        for l in 0..<6 { stemAndBlock1 += denseLayerTrainable(64 + 32 * l, growth: 32, bottleneck: 128) }
        XCTAssertEqual(ModelSummary(d).trainable, all.trainable - stemAndBlock1)
        XCTAssertTrue(d.layers.first { $0.name == "features.denseblock1.denselayer6.conv2" }!.isFrozen)
        XCTAssertFalse(d.layers.first { $0.name == "features.transition1.norm" }!.isFrozen)
        let prefixed = try ModelDescription(ModelConfig(inputShape: [3, 32, 32], backbone: .densenet121,
                                                        freezing: .upTo("features.denseblock1")))
        XCTAssertEqual(prefixed.layers, d.layers)
    }

    func testFreezingUpToALayerStopsThere() throws {
        let d = try ModelDescription(ModelConfig(inputShape: [3, 32, 32], backbone: .densenet121,
                                                 freezing: .upTo("denseblock2.denselayer3")))
        let frozen = d.layers.filter(\.isFrozen).map(\.name)
        XCTAssertEqual(frozen.last, "features.denseblock2.denselayer3.concat")
        XCTAssertFalse(frozen.contains("features.denseblock2.denselayer4.norm1"))
        XCTAssertFalse(frozen.contains("features.denseblock2.denselayer30.norm1"))
    }

    func testUnknownFreezeTargetIsAnError() {
        XCTAssertThrowsError(try ModelDescription(ModelConfig(inputShape: [3, 32, 32], backbone: .densenet121,
                                                              freezing: .upTo("denseblock9")))) {
            XCTAssertTrue("\($0)".contains("'denseblock9'"), "\($0)")
        }
    }

    func testBackboneNamesAreTorchvisionKeys() throws {
        let d = try ModelDescription(ModelConfig(inputShape: [3, 224, 224], backbone: .densenet121))
        let ours = d.tensors.map { "\($0.name) \($0.shape)" }
        let theirs = TorchvisionDenseNet121.keys(includeBatchCounters: false).filter { !$0.name.hasPrefix("classifier") }
            .map { "\($0.name) \($0.shape)" }
        XCTAssertEqual(ours.count, 604)
        XCTAssertEqual(Set(ours), Set(theirs))
    }

    func testSummaryRendersRowsAndTotals() throws {
        let text = try summary(ModelConfig(inputShape: [1, 28, 28], backbone: try .bc(depth: 40, growthRate: 12),
                                           head: .linear(classes: 10), freezing: .upTo("conv0"))).rendered()
        XCTAssertTrue(text.contains("features.conv0 *"), text)
        XCTAssertTrue(text.contains("Conv2D 3x3/1"), text)
        XCTAssertTrue(text.contains("(132, 7, 7)"), text)
        XCTAssertTrue(text.contains("Trainable params: 175,474"), text)
        XCTAssertTrue(text.hasSuffix("inference mode\n"), text)
    }
}
