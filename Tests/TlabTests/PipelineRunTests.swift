// End to end on a pipeline: run, rerun from the cache, status naming a changed parameter, report
// regeneration byte for byte, lineage of the report, show/export of trained weights, and the DAG.
import Foundation
import Store
import XCTest

/// The smoke pipeline cut down to two variants and one epoch, so a debug build runs it in seconds.
let tinyPipeline = """
    name: tiny
    seed: 3
    stages:
      data:
        kind: download
        params: { source: synthetic, images: 300, image_size: 12 }
      prep:
        kind: preprocess
        inputs: { raw: data }
        params: { source_classes: [0, 1, 2, 3, 4], target_classes: [5, 6, 7, 8, 9], per_class: 10 }
      pretrain:
        kind: pretrain
        inputs: { data: prep }
        params: { depth: 7, growth: 4, blocks: 2, epochs: 1, batch: 32 }
      freeze:
        kind: freeze
        inputs: { backbone: pretrain, data: prep }
      finetune:
        kind: fine-tune
        inputs: { backbone: freeze, data: prep }
        params: { epochs: 1, batch: 32 }
      evaluate:
        kind: evaluate
        inputs: { model: finetune, data: prep }
      report:
        kind: report
        inputs: { evaluations: evaluate }
    variants:
      basic:  { init: pretrained, head: linear }
      frozen: { init: pretrained, freeze: backbone, head: study-frozen }

    """

extension XCTestCase {
    /// A scratch folder holding `tiny.yaml`.
    func makePipelineFolder() throws -> URL {
        let folder = try makeScratchFolder()
        try tinyPipeline.write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Output port → artifact hash of the latest run of `stage` in the store at `folder/store`.
    func outputs(of stage: String, in folder: URL, store: String = "store") throws -> [String: String] {
        let lineage = try LineageDatabase(path: folder.appendingPathComponent("\(store)/lineage.sqlite").path)
        return try XCTUnwrap(lineage.latestStageRun(stage: stage)).outputs
    }
}

final class PipelineRunTests: XCTestCase {
    func testRunThenEverythingReadsItsLineage() throws {
        let folder = try makePipelineFolder()
        let first = try tlab(["run", "tiny.yaml", "--store", "store"], in: folder)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("run 1 of tiny\nstart    data  key "), first.stdout)
        XCTAssertTrue(first.stdout.contains("\ncomputed finetune@frozen in "), first.stdout)
        XCTAssertTrue(first.stdout.hasSuffix("run 1 finished: 10 computed, 0 cached\nreport: reports/tiny/report.md\n"),
                      first.stdout)

        let second = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(second.stdout, "run 2 of tiny\nrun 2 finished: 0 computed, 10 cached\nreport: reports/tiny/report.md\n")

        let clean = try tlab(["status", "tiny.yaml", "--store", "store"], in: folder)
        XCTAssertTrue(clean.stdout.hasPrefix("tiny: 10 stages, 10 cached, 0 to run\n"), clean.stdout)

        let changed = try tlab(["status", "tiny.yaml", "--store", "store", "-S", "variants.frozen.lr=0.01"], in: folder)
        XCTAssertTrue(changed.stdout.hasPrefix("tiny: 10 stages, 7 cached, 3 to run\n"), changed.stdout)
        let finetune = try XCTUnwrap(changed.stdout.split(separator: "\n").first { $0.hasPrefix("run     finetune@frozen ") })
        XCTAssertTrue(finetune.hasSuffix("parameter lr changed 0.001 → 0.01"), String(finetune))
        let json = try tlab(["status", "tiny.yaml", "--store", "store", "-S", "variants.frozen.lr=0.01", "--json"], in: folder)
        let stages = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(stages.filter { !($0["cached"] as! Bool) }.map { $0["stage"] as! String },
                       ["finetune@frozen", "evaluate@frozen", "report"])

        let dryRun = try tlab(["run", "tiny.yaml", "--store", "store", "-S", "variants.frozen.lr=0.01", "--dry-run"], in: folder)
        XCTAssertEqual(dryRun.stdout, changed.stdout, "--dry-run shows what status shows")

        let forced = try tlab(["run", "tiny.yaml", "--store", "store", "--force", "finetune@frozen"], in: folder)
        XCTAssertTrue(forced.stdout.contains("\ncomputed finetune@frozen in "), forced.stdout)
        XCTAssertTrue(forced.stdout.contains("\ncached   evaluate@frozen\n"), "the same weights again: \(forced.stdout)")
        XCTAssertTrue(forced.stdout.contains("run 3 finished: 1 computed, 9 cached"), forced.stdout)
        let quietForced = try tlab(["run", "tiny.yaml", "--store", "store", "--force", "finetune@frozen", "--quiet"], in: folder)
        XCTAssertTrue(quietForced.stdout.hasPrefix("run 4 of tiny\ncomputed finetune@frozen in "),
                      "a quiet run shows how stages ended, not that they started: \(quietForced.stdout)")

        try checkReportRegeneratesByteForByte(in: folder)
        try checkReportLineageReachesTheDownload(in: folder)
        try checkWeightsExportRoundTrip(in: folder)

        let verified = try tlab(["verify", "--store", "store"], in: folder)
        XCTAssertEqual(verified.status, 0, verified.stdout)
    }

    private func checkReportRegeneratesByteForByte(in folder: URL) throws {
        let lineage = try LineageDatabase(path: folder.appendingPathComponent("store/lineage.sqlite").path)
        let runsBefore = try lineage.runs().count
        let result = try tlab(["report", "tiny.yaml", "--store", "store", "--out", "regenerated"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try lineage.runs().count, runsBefore, "regenerating a report runs nothing")
        let written = folder.appendingPathComponent("reports/tiny")
        let names = try FileManager.default.contentsOfDirectory(atPath: written.path).sorted()
        XCTAssertTrue(names.contains("report.md") && names.contains("results.csv"), "\(names)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("regenerated").path).sorted(),
                       names)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: written.appendingPathComponent(name)),
                           try Data(contentsOf: folder.appendingPathComponent("regenerated/\(name)")), name)
        }
    }

    private func checkReportLineageReachesTheDownload(in folder: URL) throws {
        let result = try tlab(["lineage", "reports/tiny/report.md", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("reports/tiny/report.md = artifact "), result.stdout)
        for stage in ["report [report]", "evaluate@frozen [evaluate]", "finetune@basic [fine-tune]", "pretrain [pretrain]",
                      "prep [preprocess]", "data [download]"] {
            XCTAssertTrue(result.stdout.contains(stage), "\(stage) missing from\n\(result.stdout)")
        }
        XCTAssertTrue(result.stdout.contains("image_size=12 images=300 source=synthetic"), result.stdout)
    }

    private func checkWeightsExportRoundTrip(in folder: URL) throws {
        let weights = try XCTUnwrap(try outputs(of: "finetune@basic", in: folder)["weights"])
        let shown = try tlab(["show", String(weights.prefix(12)), "--store", "store", "--json"], in: folder)
        let tensors = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as! [String: Any])["tensors"]
            as? [[String: Any]])
        XCTAssertFalse(tensors.isEmpty)
        XCTAssertTrue(tensors.allSatisfy { ($0["dtype"] as? String) == "F32" }, "\(tensors)")

        let exported = try tlab(["export", weights, "weights.safetensors", "--store", "store"], in: folder)
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let store = try BlobStore.open(root: folder.appendingPathComponent("store"), create: false)
        let file = try Data(contentsOf: folder.appendingPathComponent("weights.safetensors"))
        XCTAssertEqual(try SafeTensors.decode(file), try store.readTensors(weights))

        let name = try XCTUnwrap(tensors.last?["name"] as? String)
        let npy = try tlab(["export", weights, "last.npy", "--tensor", name, "--store", "store"], in: folder)
        XCTAssertEqual(npy.status, 0, npy.stderr)
        let tensor = try XCTUnwrap(try store.readTensors(weights)[name])
        let bytes = try Data(contentsOf: folder.appendingPathComponent("last.npy"))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        XCTAssertTrue(String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
            .hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"))
        XCTAssertEqual(bytes.suffix(from: 10 + headerLength), tensor.data)
    }

    func testPreviewsOfAStoreNotYetCreatedShowEveryStageAndCreateNothing() throws {
        let folder = try makePipelineFolder()
        for command in [["status"], ["run", "--dry-run"]] {
            let preview = try tlab(command + ["tiny.yaml", "--store", "store"], in: folder)
            XCTAssertEqual(preview.status, 0, preview.stderr)
            XCTAssertTrue(preview.stdout.hasPrefix("tiny: 10 stages, 0 cached, 10 to run\n"), preview.stdout)
            XCTAssertTrue(preview.stdout.contains("never run"), preview.stdout)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("store").path),
                           "\(command) created the store")
        }
    }

    func testDagOfTheSmokePipelineInEachFormat() throws {
        let smoke = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipelines/smoke.yaml")
            .standardizedFileURL.path
        let folder = try makeScratchFolder()
        let text = try tlab(["dag", smoke], in: folder)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("smoke: 20 stages, variants scratch, basic, optimized, frozen\ndata [download]\n"),
                      text.stdout)
        XCTAssertTrue(text.stdout.contains("report [report] ← evaluations: evaluate@scratch, evaluate@basic"), text.stdout)
        let mermaid = try tlab(["dag", smoke, "--format", "mermaid"], in: folder)
        XCTAssertTrue(mermaid.stdout.hasPrefix("flowchart TD\n"), mermaid.stdout)
        XCTAssertTrue(mermaid.stdout.contains("subgraph variant_frozen"), mermaid.stdout)
        let dot = try tlab(["dag", smoke, "--format", "dot"], in: folder)
        XCTAssertTrue(dot.stdout.hasPrefix("digraph \"smoke\" {\n"), dot.stdout)
        XCTAssertTrue(dot.stdout.hasSuffix("}\n"), dot.stdout)
        XCTAssertTrue(dot.stdout.contains("\"pretrain\" -> \"freeze@frozen\" [label=\"backbone\"];"), dot.stdout)

        let json = try tlab(["dag", smoke, "--json"], in: folder)
        let graph = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout)
        XCTAssertEqual(graph["pipeline"] as? String, "smoke")
        XCTAssertEqual(graph["variants"] as? [String], ["scratch", "basic", "optimized", "frozen"])
        let stages = try XCTUnwrap(graph["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.count, 20)
        let freeze = try XCTUnwrap(stages.first { $0["name"] as? String == "freeze@frozen" })
        XCTAssertEqual(freeze["variant"] as? String, "frozen")
        XCTAssertTrue((freeze["inputs"] as? [[String: String]])?.contains(["port": "backbone", "stage": "pretrain"]) ?? false,
                      "\(freeze)")
    }
}
