// `tlab export-model`: writes the model a stage names, refuses what holds no model with one line, and
// rejects a file name that is not .onnx as a usage error. (The ONNX content itself is tested in
// ModelExportTests and PipelineTests' ExportStageTests against ONNX Runtime.)
import Foundation
import Store
import XCTest

final class ExportModelCommandTests: XCTestCase {
    func testWritesAnExportStagesFileAndSaysWhatCannotBeExported() throws {
        let folder = try makeScratchFolder()
        let store = try StoreFixture(root: folder.appendingPathComponent("store"))
        let onnx = Data("stands in for an ONNX file".utf8)
        try store.record(stage: "prep", kind: "preprocess", outputs: ["info": (Data("{}".utf8), .json)])
        try store.record(stage: "export@basic", kind: "export", outputs: ["onnx": (onnx, .raw)])
        try store.finish()

        let written = try tlab(["export-model", "export@basic", "out/basic.onnx", "--store", "store"], in: folder)
        XCTAssertEqual(written.status, 1, "the folder out/ does not exist: \(written.stderr)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("out"), withIntermediateDirectories: true)
        let exported = try tlab(["export-model", "export@basic", "out/basic.onnx", "--store", "store"], in: folder)
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("out/basic.onnx")), onnx)
        XCTAssertTrue(exported.stdout.contains("model of stage export@basic, run \(store.runID)"), exported.stdout)

        let notAModel = try tlab(["export-model", "prep", "prep.onnx", "--store", "store"], in: folder)
        XCTAssertEqual(notAModel.status, 1)
        XCTAssertEqual(notAModel.stderr, "error: stage prep is a preprocess stage, which holds no trained model; "
            + "name a fine-tune or export stage\n")
        let run = try tlab(["export-model", String(store.runID), "run.onnx", "--store", "store"], in: folder)
        XCTAssertEqual(run.stderr, "error: run \(store.runID) has no finished fine-tune stage, so no model to export\n")

        let wrongName = try tlab(["export-model", "export@basic", "basic.pb", "--store", "store"], in: folder)
        XCTAssertEqual(wrongName.status, 2)
        XCTAssertTrue(wrongName.stderr.hasPrefix("error: the file to write must end in .onnx, not 'basic.pb'"), wrongName.stderr)
    }
}
