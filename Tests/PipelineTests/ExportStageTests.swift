// The export stage and `tlab export-model`'s lookup: a trained variant's ONNX file, the same bytes by
// either route, runs in ONNX Runtime as the engine runs the stored weights, and says in its metadata
// how to prepare an image.
import Engine
import Foundation
import ModelExport
import Store
import TestSupport
import XCTest
@testable import Pipeline

final class ExportStageTests: XCTestCase {
    /// The tiny pipeline of the executor tests with an export stage after each variant's fine-tune.
    static let pipeline = tinyExecutionPipeline.replacingOccurrences(
        of: "  report: { kind: report",
        with: "  export: { kind: export, inputs: { model: finetune, data: prep } }\n  report: { kind: report")

    func testEachVariantsExportRunsInONNXRuntimeAsTheEngineRunsItsWeights() throws {
        _ = try ONNXRuntimeVenv.python()
        let store = try makeExecutionStore()
        let (summary, _) = try run(Self.pipeline, store: store)
        XCTAssertTrue(summary.computed.contains("export@frozen") && summary.computed.contains("export@scratch"),
                      "\(summary.computed)")
        let info = try decodeJSON(PreparedDataInfo.self, from: store.blobs.read(
            outputs(of: "prep", inRun: summary.runID, store: store)[PreprocessStage.infoOutput]!))
        for variant in ["scratch", "frozen"] {
            let exported = try StoredModelExport("export@\(variant)", in: store)
            XCTAssertEqual(exported.bytes, try StoredModelExport("finetune@\(variant)", in: store).bytes, variant)

            let trained = try outputs(of: "finetune@\(variant)", inRun: summary.runID, store: store)
            let recipe = try decodeJSON(ModelRecipe.self, from: store.blobs.read(trained[FineTuneStage.architectureOutput]!))
            let model = try recipe.model(seed: 0)
            try model.load(store.blobs.readTensors(trained[FineTuneStage.weightsOutput]!).engineTensors())
            let x = Tensor(zeros: [4] + info.imageShape), random = CounterRandom(seed: 5)
            for i in 0..<x.count { x.data[i] = random.normal(at: UInt64(i)) }
            let expected = model.forward(x, context: .inference).array

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-\(variant)-\(UUID().uuidString).onnx")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(exported.bytes).write(to: file)
            let result = try ONNXRuntimeVenv.run(model: file, input: x.array, shape: x.shape)
            let logits = try XCTUnwrap(result.outputs[ONNXModelFile.logitsName]?.values)
            let scale = expected.map(abs).max()!
            XCTAssertLessThanOrEqual(zip(logits, expected).map { abs($0 - $1) }.max()!, 1e-4 * scale, variant)
            XCTAssertEqual(result.metadata["class_names"], String(decoding: try JSONEncoder().encode(info.targetClasses), as: UTF8.self))
            XCTAssertEqual(result.metadata["input_shape"], info.imageShape.map(String.init).joined(separator: "x"))
            XCTAssertEqual(result.metadata["normalization_mean"], info.normalization.mean.map { "\($0)" }.joined(separator: ","))
            XCTAssertEqual(result.metadata["normalization_std"], info.normalization.std.map { "\($0)" }.joined(separator: ","))
        }
    }

    func testExportModelSaysWhatItCannotExport() throws {
        let store = try makeExecutionStore()
        let (summary, _) = try run(store: store)
        XCTAssertThrowsError(try StoredModelExport("prep", in: store)) {
            XCTAssertEqual($0 as? ModelExportError, .notAModel(stage: "prep", kind: "preprocess"))
        }
        XCTAssertThrowsError(try StoredModelExport("nothing", in: store)) {
            XCTAssertEqual($0 as? ModelExportError, .unknownTarget("nothing"))
        }
        XCTAssertThrowsError(try StoredModelExport(String(summary.runID), in: store)) {
            XCTAssertEqual($0 as? ModelExportError, .noSingleModel(runID: summary.runID, stages: ["finetune@frozen", "finetune@scratch"]))
        }
        let oneVariant = tinyExecutionPipeline.replacingOccurrences(of: "  frozen: { freeze: backbone, head: study-frozen }\n", with: "")
        let single = try run(oneVariant, store: store)
        XCTAssertEqual(try StoredModelExport(String(single.summary.runID), in: store).stage, "finetune@scratch")
    }
}
