// A state dict holding a NaN or an infinity is refused at import, naming the tensor, instead of
// training silently into a NaN loss.
import Engine
import Foundation
import XCTest
@testable import Pipeline

final class NonFiniteWeightsTests: XCTestCase {
    private let recipe = try! JSONDecoder().decode(ModelRecipe.self, from: Data("""
        {"family": "densenet-121", "depth": 121, "growth": 32, "blocks": 4, "compression": 0.5, "stem": "imagenet",
         "inputShape": [3, 32, 32], "inputSize": 0, "head": "none", "pooling": "avg", "classes": 0, "freezing": "none"}
        """.utf8))

    func testANaNWeightIsRefusedNamingItsTensor() throws {
        var weights = TorchvisionStateDict.denseNet121(seed: 11)
        let name = "features.denseblock2.denselayer3.conv1.weight"
        weights.tensors[name]!.values[7] = .nan
        XCTAssertThrowsError(try PretrainStage.importedModel(recipe, stateDict: weights.safetensors())) {
            XCTAssertEqual("\($0)", "tensor '\(name)' holds nan at element 7; imported weights must all be finite numbers")
        }
    }

    func testAnInfiniteWeightIsRefusedToo() throws {
        var weights = TorchvisionStateDict.denseNet121(seed: 11)
        weights.tensors["features.norm5.running_var"]!.values[0] = -.infinity
        XCTAssertThrowsError(try PretrainStage.importedModel(recipe, stateDict: weights.safetensors())) {
            XCTAssertEqual("\($0)", "tensor 'features.norm5.running_var' holds -inf at element 0; imported weights must all be finite numbers")
        }
    }
}
