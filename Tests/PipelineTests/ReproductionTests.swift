// Reproduction: a forced stage says whether it reproduced, a run's whole lineage computed again in a
// scratch store reproduces bit for bit (the report apart from its measured times), and a recorded
// result the engine does not give again is named down to the tensor and the size of the difference.
import Foundation
@testable import Pipeline
@testable import Reporting
import Store
import XCTest

final class ReproductionTests: XCTestCase {
    func testDifferencesNameTheTensorFieldOrLine() throws {
        func archive(_ values: [Float]) throws -> Data {
            try SafeTensors.encode(TensorArchive(tensors: [
                NamedTensor(name: "head.dense1.weight", dtype: .f32, shape: [values.count],
                            data: values.map(\.bitPattern.littleEndian).withUnsafeBufferPointer { Data(buffer: $0) }),
                NamedTensor(name: "head.dense1.bias", dtype: .f32, shape: [1], data: Data(repeating: 0, count: 4)),
            ]))
        }
        XCTAssertNil(ArtifactComparison.difference(output: "weights", recorded: try archive([1, 2]),
                                                   recomputed: try archive([1, 2]), mediaType: .tensor))
        let weights = try XCTUnwrap(ArtifactComparison.difference(output: "weights", recorded: try archive([1, 2, 3]),
                                                                  recomputed: try archive([1, 2.25, 3]), mediaType: .tensor))
        XCTAssertEqual(weights.tensor, "head.dense1.weight")
        XCTAssertEqual(weights.largestAbsoluteDifference, 0.25)
        XCTAssertEqual(weights.description, "output weights, tensor head.dense1.weight, largest |\u{0394}| 0.25 (1 of 2 tensors differ)")

        let json = try XCTUnwrap(ArtifactComparison.difference(
            output: "evaluation", recorded: Data(#"{"accuracy":0.9,"summary":{"curves":[1,2]}}"#.utf8),
            recomputed: Data(#"{"accuracy":0.9,"summary":{"curves":[1,3]}}"#.utf8), mediaType: .json))
        XCTAssertEqual(json.detail, "field summary.curves[1]: 2 recorded, 3 now")
        let text = try XCTUnwrap(ArtifactComparison.difference(output: "report.md", recorded: Data("a\nb\nc".utf8),
                                                               recomputed: Data("a\nb\nd".utf8), mediaType: .markdown))
        XCTAssertEqual(text.detail, "text differs from line 3")
    }

    func testAForcedStageSaysItReproducedBitIdentically() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        let forced = try run(store: store, options: ExecutorOptions(force: ["finetune@frozen"], quiet: true))
        XCTAssertEqual(forced.summary.computed, ["finetune@frozen"])
        let verdicts = forced.events.all.compactMap { event -> String? in
            if case let .reproduction(stage, identical, text) = event { return "\(stage) \(identical) \(text)" } else { return nil }
        }
        XCTAssertEqual(verdicts, ["finetune@frozen true reproduced bit-identically the result run \(first.summary.runID) recorded"])
    }

    func testARunsLineageReproducesInAScratchStore() throws {
        let store = try makeExecutionStore()
        let first = try run(overrides: ["seeds=[1,2]"], store: store)
        let certificate = try Reproduction.run(.run(first.summary.runID), of: store, scratch: scratchFolder(),
                                               options: ExecutorOptions(quiet: true), events: { _ in })
        XCTAssertTrue(certificate.reproduced, certificate.text)
        XCTAssertEqual(certificate.stages.map(\.stage), first.summary.stages.map(\.name))
        for stage in certificate.stages {
            guard case .identicalApartFromMeasurements = stage.verdict else {
                guard case .identical = stage.verdict else { return XCTFail("\(stage.stage): \(stage.summary())") }
                continue
            }
            XCTAssertEqual(stage.kind, .report, "only a report holds measurements")
        }
        XCTAssertTrue(certificate.text.contains("\nfinetune@frozen#{1,2}   bit-identical (4 outputs each)\n"), certificate.text)
        XCTAssertTrue(certificate.text.hasSuffix("All 14 stages reproduced.\n"), certificate.text)
        XCTAssertTrue(certificate.markdown.contains("**Reproduced.** All 14 stages reproduced."), certificate.markdown)

        let report = try Reproduction.run(.artifacts([try XCTUnwrap(outputs(of: "report", inRun: first.summary.runID,
                                                                          store: store)["report.md"])]),
                                          of: store, scratch: scratchFolder(), options: ExecutorOptions(quiet: true),
                                          events: { _ in })
        XCTAssertEqual(report.stages.count, 14, "a report's lineage is every stage of its run")
        XCTAssertTrue(report.reproduced, report.text)
    }

    func testAReportWhoseVariantsShareAFreezeReproduces() throws {
        // scratch and basic freeze nothing, so their freeze stages have one key: basic's is a cache hit,
        // and lineage leads its fine-tune's input back to scratch's freeze.
        let yaml = tinyExecutionPipeline.replacingOccurrences(
            of: "  scratch: { init: random }\n", with: "  scratch: { init: random }\n  basic: { init: pretrained }\n")
        XCTAssertNotEqual(yaml, tinyExecutionPipeline)
        let store = try makeExecutionStore()
        let first = try run(yaml, store: store)
        XCTAssertEqual(first.events.finished(.hit), ["freeze@basic"])
        let report = try XCTUnwrap(outputs(of: "report", inRun: first.summary.runID, store: store)["report.md"])
        let certificate = try Reproduction.run(.artifacts([report]), of: store, scratch: scratchFolder(),
                                               options: ExecutorOptions(quiet: true), events: { _ in })
        XCTAssertTrue(certificate.reproduced, certificate.text)
        XCTAssertFalse(certificate.stages.contains { $0.stage == "freeze@basic" }, "the cache hit computed nothing")
        XCTAssertTrue(certificate.stages.contains { $0.stage == "finetune@basic" })
    }

    func testTwoRunsOnEmptyStoresGiveTheSameResultsAndReportButItsTimes() throws {
        let (one, two) = (try makeExecutionStore(), try makeExecutionStore())
        let first = try run(overrides: ["seeds=[1,2]"], store: one), second = try run(overrides: ["seeds=[1,2]"], store: two)
        for stage in first.summary.stages where stage.kind != .report {
            XCTAssertEqual(try outputs(of: stage.name, inRun: first.summary.runID, store: one),
                           try outputs(of: stage.name, inRun: second.summary.runID, store: two), stage.name)
        }
        func report(_ store: PipelineStore, _ runID: Int64) throws -> ComparisonReport {
            try decodeJSON(ComparisonReport.self, from: store.blobs.read(XCTUnwrap(outputs(of: "report", inRun: runID, store: store)["report.json"])))
        }
        let (a, b) = (try report(one, first.summary.runID), try report(two, second.summary.runID))
        XCTAssertEqual(Reproduction.withoutMeasurements(a), Reproduction.withoutMeasurements(b))
        XCTAssertEqual(a.dagMermaid, b.dagMermaid)
        XCTAssertNotEqual(a.variants[0].runs[0].trainingSeconds, 0, "measured times are there, and may differ")
    }

    func testARecordedResultTheEngineDoesNotGiveAgainIsNamed() throws {
        let store = try makeExecutionStore()
        let first = try run(store: store)
        let lineage = store.lineage
        // A run that recorded a fine-tune whose weights were not what the code computes: one weight
        // moved by 0.5, as another engine or machine might have left it.
        let fake = try lineage.startRun(pipeline: "tiny-exec", pipelineHash: "test", seed: 3, toolVersion: "test").id!
        var tensorName = ""
        for record in try lineage.stageRuns(ofRun: first.summary.runID) {
            let detail = try XCTUnwrap(try lineage.stageRun(id: record.id!))
            guard record.stage == "finetune@frozen" else {
                _ = try lineage.recordCacheHit(runID: fake, stage: record.stage, from: detail)
                continue
            }
            var weights = try store.blobs.readTensors(try XCTUnwrap(detail.outputs["weights"]))
            let index = try XCTUnwrap(weights.tensors.lastIndex { $0.dtype == .f32 && $0.name.hasPrefix("head.") })
            tensorName = weights.tensors[index].name
            var bytes = [UInt8](weights.tensors[index].data)
            let value = Float(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
            withUnsafeBytes(of: (value + 0.5).bitPattern.littleEndian) { for i in 0..<4 { bytes[i] = $0[i] } }
            weights.tensors[index].data = Data(bytes)
            var outputs = try detail.outputs.mapValues { try lineage.artifact(hashPrefix: $0) }
            outputs["weights"] = ArtifactRecord(blob: try store.blobs.putTensors(weights), mediaType: .tensor)
            let tampered = try lineage.startStageRun(runID: fake, key: record.key, stage: record.stage, kind: record.kind,
                                                     params: record.params, material: record.material)
            try lineage.finishStageRun(tampered.id!, inputs: detail.inputs, outputs: outputs, seconds: 1)
        }
        try lineage.finishRun(fake, status: .finished)

        let certificate = try Reproduction.run(.run(fake), of: store, scratch: scratchFolder(),
                                               options: ExecutorOptions(quiet: true), events: { _ in })
        XCTAssertFalse(certificate.reproduced)
        XCTAssertEqual(certificate.stages.filter { !$0.reproduced }.map(\.stage), ["finetune@frozen"],
                       "its evaluation was recorded from the true weights, and reproduces")
        let stage = try XCTUnwrap(certificate.stages.first { $0.stage == "finetune@frozen" })
        guard case let .differs(differences, unmatched) = stage.verdict else { return XCTFail(stage.summary()) }
        XCTAssertEqual(unmatched, [])
        XCTAssertEqual(differences.map(\.output), ["weights"])
        XCTAssertEqual(differences[0].tensor, tensorName)
        XCTAssertEqual(try XCTUnwrap(differences[0].largestAbsoluteDifference), 0.5, accuracy: 1e-6)
        XCTAssertTrue(certificate.text.contains("finetune@frozen   DIFFERS: output weights, tensor \(tensorName), largest "
            + "|\u{0394}| 0.5 (1 of "), certificate.text)
        XCTAssertTrue(certificate.text.hasSuffix("1 of 10 stages did not reproduce.\n"), certificate.text)
    }

    private func scratchFolder() -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-reproduce-\(UUID().uuidString)")
        addTeardownBlock {
            _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", folder.path]).waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }
        return folder
    }
}
