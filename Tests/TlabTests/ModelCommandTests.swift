// `tlab model summary`: the engine's layer table for a chosen backbone, head, freezing and input.
import Foundation
import XCTest

final class ModelCommandTests: XCTestCase {
    func testDenseNet121WithoutHeadHasKerasParameterCounts() throws {
        let result = try tlab(["model", "summary", "--head", "none"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 0, result.stderr)
        // Keras DenseNet121(include_top=False): 7,037,504 parameters, 83,648 of them BatchNorm statistics.
        XCTAssertTrue(result.stdout.hasSuffix("Total params: 7,037,504\nTrainable params: 6,953,856\nNon-trainable params: 83,648\n"),
                      result.stdout)
        XCTAssertTrue(result.stdout.contains("features.conv0"), result.stdout)
    }

    func testFrozenBackboneLeavesOnlyTheHeadTrainable() throws {
        let result = try tlab(["model", "summary", "--model", "densenet-bc", "--depth", "11", "--growth", "4",
                               "--blocks", "2", "--input", "1x16x16", "--head", "study-frozen", "--freeze", "backbone",
                               "--classes", "5", "--json"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let layers = summary["layers"] as! [[String: Any]]
        let headTrainable = layers.filter { ($0["name"] as! String).hasPrefix("head.") }
        XCTAssertTrue(layers.filter { ($0["name"] as! String).hasPrefix("features.") }.allSatisfy { $0["frozen"] as! Bool })
        XCTAssertTrue(headTrainable.allSatisfy { !($0["frozen"] as! Bool) })
        XCTAssertEqual(layers.first!["outputShape"] as? [Int], [8, 16, 16])
        XCTAssertEqual(layers.last!["outputShape"] as? [Int], [5])
        XCTAssertLessThan(summary["trainable"] as! Int, summary["total"] as! Int)
        XCTAssertEqual((summary["total"] as! Int) - (summary["trainable"] as! Int), summary["nonTrainable"] as! Int)
    }

    func testAnUnknownFreezeTargetIsOneLine() throws {
        let result = try tlab(["model", "summary", "--freeze", "denseblock9"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("error: freeze target 'denseblock9' names no backbone layer or block; "),
                      result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
    }
}
