// The download and preprocess stages on the data sets a pipeline names, as far as this machine has
// them: Fashion-MNIST served from Debian's copy by a mirror on 127.0.0.1, and the study's pipeline,
// which needs the network, at least planned.
@testable import Datasets
import Foundation
@testable import Pipeline
import Store
import XCTest
import TestSupport

final class ExecutorDataSourceTests: XCTestCase {
    func testFashionMNISTFromAMirrorIsVerifiedAndCutIntoTasks() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: DataSource.fashionMNISTDebianDirectory),
                          "needs Debian's dataset-fashion-mnist package")
        let mirror = try serveFolder(DataSource.fashionMNISTDebianDirectory)
        let yaml = """
            name: fashion-prep
            stages:
              data: { kind: download, params: { source: fashion-mnist, mirror: "\(mirror)" } }
              prep:
                kind: preprocess
                inputs: { raw: data }
                params: { source_classes: [0, 1], target_classes: [5, 9], source_per_class: 30, per_class: 10, test_per_class: 20 }

            """
        let store = try makeExecutionStore()
        let (summary, events) = try run(yaml, store: store)
        XCTAssertEqual(summary.computed, ["data", "prep"], "\(summary.stages)")
        let raw = try outputs(of: "data", inRun: summary.runID, store: store)
        XCTAssertEqual(raw.keys.sorted(), [FashionMNIST.testImages, FashionMNIST.testLabels,
                                           FashionMNIST.trainImages, FashionMNIST.trainLabels].sorted())
        XCTAssertTrue(events.all.contains(.message(stage: "prep", text: "target task: 18 train, 2 validation, 40 test images; source task: 54 train")))
        let prepared = try outputs(of: "prep", inRun: summary.runID, store: store)
        let target = try ShardManifest.decode(store.blobs.read(XCTUnwrap(prepared["target"])))
        XCTAssertEqual([target.dtype] + target.shape.map(String.init), ["U8", "1", "28", "28"])
        XCTAssertEqual(target.splits["train"]?.count, 18)
        let firstShard = try store.blobs.readTensors(XCTUnwrap(target.splits["train"]?.shards.first?.hash))
        XCTAssertEqual(firstShard["images"]?.shape, [18, 1, 28, 28], "18 small images make one shard")
        let testLabels = try store.blobs.readTensors(XCTUnwrap(target.splits["test"]?.labels))
        XCTAssertEqual(Set(try XCTUnwrap(testLabels["labels"]).int32Values()), [0, 1])
    }

    func testTheStudysPipelineCanBeDryRunWithoutTheNetwork() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("cifar10-densenet121.yaml"))
        let previews = try Executor(plan: plan, store: try makeExecutionStore()).dryRun()
        XCTAssertEqual(previews.map(\.name), plan.stages.map(\.name))
        XCTAssertEqual(previews.filter { $0.reasons == ["never run"] }.map(\.name), ["data", "pretrain"])
        XCTAssertFalse(previews.contains(where: \.cached))
    }
}

final class ExecutorWeightImportTests: XCTestCase {
    /// The backbone a run trained, exported as a safetensors file under torchvision's names, imported
    /// again: the same weights come out, so every stage after pretrain is reused.
    func testImportedWeightsPinnedByTheirChecksumReplaceTraining() throws {
        let store = try makeExecutionStore()
        let trained = try run(store: store)
        let weights = try XCTUnwrap(try outputs(of: "pretrain", inRun: trained.summary.runID, store: store)["weights"])
        let file = store.root.appendingPathComponent("exported-backbone.safetensors")
        try store.blobs.export(weights, to: file)

        let imported = try run(overrides: ["pretrain.weights=\(file.path)", "pretrain.weights_sha256=\(weights)"], store: store)
        XCTAssertEqual(imported.summary.computed, ["pretrain"], "\(imported.summary.stages)")
        XCTAssertEqual(try outputs(of: "pretrain", inRun: imported.summary.runID, store: store)["weights"], weights)

        let tampered = try run(overrides: ["pretrain.weights=\(file.path)", "pretrain.weights_sha256=\(String(repeating: "0", count: 64))"],
                               store: store)
        guard case let .failed(error)? = tampered.summary.stage("pretrain")?.state else {
            return XCTFail("a checksum mismatch must fail pretrain: \(String(describing: tampered.summary.stage("pretrain")))")
        }
        XCTAssertTrue(error.contains("exported-backbone.safetensors"), error)
    }
}
