// `tlab model summary`: the layer table of the model a pipeline builds, for a chosen backbone, head,
// freezing and input, and agreeing with what the pipeline's stages build.
import Foundation
import Store
import XCTest

final class ModelCommandTests: XCTestCase {
    func testDenseNet121WithoutHeadHasKerasParameterCounts() throws {
        let result = try tlab(["model", "summary", "--model", "densenet-121", "--head", "none"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 0, result.stderr)
        // Keras DenseNet121(include_top=False): 7,037,504 parameters, 83,648 of them BatchNorm statistics.
        XCTAssertTrue(result.stdout.hasSuffix("Total params: 7,037,504\nTrainable params: 6,953,856\nNon-trainable params: 83,648\n"),
                      result.stdout)
        XCTAssertTrue(result.stdout.contains("features.conv0"), result.stdout)
    }

    func testFrozenBackboneLeavesOnlyTheHeadTrainable() throws {
        let result = try tlab(["model", "summary", "--depth", "11", "--growth", "4",
                               "--blocks", "2", "--input", "1x16x16", "--head", "study-frozen", "--freeze", "backbone",
                               "--classes", "5", "--json"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let layers = summary["layers"] as! [[String: Any]]
        XCTAssertEqual(Set(summary.keys), ["layers", "total", "trainable", "nonTrainable"])
        XCTAssertTrue(layers.allSatisfy { Set($0.keys) == ["name", "type", "outputShape", "parameters", "frozen"] })
        let headTrainable = layers.filter { ($0["name"] as! String).hasPrefix("head.") }
        XCTAssertTrue(layers.filter { ($0["name"] as! String).hasPrefix("features.") }.allSatisfy { $0["frozen"] as! Bool })
        XCTAssertTrue(headTrainable.allSatisfy { !($0["frozen"] as! Bool) })
        XCTAssertEqual(layers.first!["outputShape"] as? [Int], [8, 16, 16])
        XCTAssertEqual(layers.last!["outputShape"] as? [Int], [5])
        XCTAssertLessThan(summary["trainable"] as! Int, summary["total"] as! Int)
        XCTAssertEqual((summary["total"] as! Int) - (summary["trainable"] as! Int), summary["nonTrainable"] as! Int)
    }

    func testAnUnknownFreezeTargetIsOneLine() throws {
        let result = try tlab(["model", "summary", "--model", "densenet-121", "--freeze", "up-to:denseblock9"],
                              in: try makeScratchFolder())
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("error: freeze target 'denseblock9' names no backbone layer or block; "),
                      result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)

        let bare = try tlab(["model", "summary", "--freeze", "denseblock3"], in: try makeScratchFolder())
        XCTAssertEqual(bare.status, 1)
        XCTAssertEqual(bare.stderr, "error: --freeze: 'freeze' is denseblock3, expected one of none, backbone, up-to:<layer>\n")
    }

    /// The parameter counts the summary gives are those of the models the pipeline's fine-tune stages
    /// built, for every variant of the tiny pipeline (its defaults, head presets and freezing).
    func testTheSummaryAgreesWithWhatAPipelineBuilds() throws {
        let folder = try makePipelineFolder()
        let run = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let blobs = try BlobStore.open(root: folder.appendingPathComponent("store"), create: false)
        for (variant, options) in [("basic", ["--head", "linear"]), ("frozen", ["--head", "study-frozen", "--freeze", "backbone"])] {
            let hash = try XCTUnwrap(outputs(of: "finetune@\(variant)", in: folder)["summary"])
            let built = try JSONSerialization.jsonObject(with: blobs.read(hash)) as! [String: Any]
            let summary = try tlab(["model", "summary", "--depth", "7", "--growth", "4", "--blocks", "2", "--input", "3x12x12",
                                    "--classes", "5", "--json"] + options, in: folder)
            XCTAssertEqual(summary.status, 0, summary.stderr)
            let shown = try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(shown["trainable"] as? Int, built["trainableParameters"] as? Int, variant)
            XCTAssertEqual(shown["total"] as? Int, built["totalParameters"] as? Int, variant)
        }
    }
}
