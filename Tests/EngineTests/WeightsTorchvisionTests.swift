// Importing a torchvision/timm DenseNet-121 state dict: the exact key set maps, extra counters are
// skipped, and a missing or mis-shaped key is an error naming it.
import XCTest
@testable import Engine

final class WeightsTorchvisionTests: XCTestCase {
    private static let noTop = try! ModelDescription(ModelConfig(inputShape: [3, 224, 224], backbone: .densenet121))
    private static let imagenet = try! ModelDescription(ModelConfig(inputShape: [3, 224, 224], backbone: .densenet121,
                                                                     head: .linear(classes: 1000)))

    func testFullStateDictFillsBackboneAndLinearHead() throws {
        let dict = TorchvisionDenseNet121.stateDict()
        XCTAssertEqual(dict.count, 606 + 121)
        let converted = try TorchvisionWeights.convert(dict, for: Self.imagenet)
        XCTAssertEqual(Set(converted.keys), Set(Self.imagenet.tensors.map(\.name)))
        XCTAssertTrue(converted["head.dense1.weight"] === dict["classifier.weight"])
        XCTAssertTrue(converted["features.denseblock3.denselayer24.conv2.weight"]
                      === dict["features.denseblock3.denselayer24.conv2.weight"])
        XCTAssertEqual(TorchvisionWeights.torchvisionKey(for: "head.dense1.bias", in: Self.imagenet), "classifier.bias")
    }

    func testClassifierIsSkippedWithoutTop() throws {
        let converted = try TorchvisionWeights.convert(TorchvisionDenseNet121.stateDict(), for: Self.noTop)
        XCTAssertEqual(converted.count, 604)
        XCTAssertNil(converted["classifier.weight"])
    }

    func testMissingKeyIsNamed() {
        var dict = TorchvisionDenseNet121.stateDict()
        dict["features.denseblock2.denselayer7.norm2.running_var"] = nil
        XCTAssertThrowsError(try TorchvisionWeights.convert(dict, for: Self.noTop)) {
            XCTAssertEqual($0 as? ModelError, .missingWeight(key: "features.denseblock2.denselayer7.norm2.running_var"))
        }
    }

    func testMisShapedKeyIsNamed() {
        var dict = TorchvisionDenseNet121.stateDict()
        dict["features.transition2.conv.weight"] = Tensor(zeros: [256, 512])
        XCTAssertThrowsError(try TorchvisionWeights.convert(dict, for: Self.noTop)) {
            XCTAssertEqual($0 as? ModelError, .weightShapeMismatch(key: "features.transition2.conv.weight",
                                                                   expected: [256, 512, 1, 1], found: [256, 512]))
            XCTAssertTrue("\($0)".contains("features.transition2.conv.weight"))
        }
    }

    func testKeysOfADeeperModelAreUnexpected() {
        var dict = TorchvisionDenseNet121.stateDict()
        dict["features.denseblock4.denselayer17.conv1.weight"] = Tensor(zeros: [128, 1024, 1, 1])
        XCTAssertThrowsError(try TorchvisionWeights.convert(dict, for: Self.noTop)) {
            XCTAssertEqual($0 as? ModelError, .unexpectedWeight(key: "features.denseblock4.denselayer17.conv1.weight"))
        }
    }

    func testLegacyLuaTorchKeysAreRenamed() {
        XCTAssertEqual(TorchvisionWeights.modernKey("features.denseblock1.denselayer2.norm.1.running_mean"),
                       "features.denseblock1.denselayer2.norm1.running_mean")
        XCTAssertEqual(TorchvisionWeights.modernKey("features.transition1.norm.weight"), "features.transition1.norm.weight")
    }
}
