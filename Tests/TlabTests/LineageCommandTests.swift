// `tlab lineage` on a small recorded store: from a report file up to the download, from the download
// down to the report, by stage name, and in the JSON and Mermaid forms.
import Foundation
import Store
import XCTest

final class LineageCommandTests: XCTestCase {
    func testReportFileLineageReachesTheDownload() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        try hashes.reportText.write(to: folder.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        let result = try tlab(["lineage", "report.md", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "report.md = artifact \(hashes.report.prefix(12)), computed from:")
        XCTAssertTrue(lines[1].hasPrefix("└─ \(hashes.report.prefix(12))  text/markdown"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("   └─ report [report]  run 1  key "), lines[2])
        XCTAssertTrue(result.stdout.contains("data [download]  run 1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("raw: \(hashes.archive.prefix(12))  application/octet-stream"), result.stdout)
        XCTAssertTrue(result.stdout.contains("pretrain [pretrain]  run 1  key") && result.stdout.contains("epochs=2 lr=0.001"),
                      result.stdout)
        // prep feeds both the report and pretrain: its subtree is printed once.
        XCTAssertEqual(result.stdout.components(separatedBy: "prep [preprocess]").count - 1, 2, result.stdout)
        XCTAssertEqual(result.stdout.components(separatedBy: "(shown above)").count - 1, 1, result.stdout)
    }

    func testDownLineageOfAStageReachesTheReport() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let result = try tlab(["lineage", "data", "--down", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("stage data, run 1 (stage run 1), used by:\n└─ \(hashes.archive.prefix(12))"),
                      result.stdout)
        XCTAssertTrue(result.stdout.contains("markdown: \(hashes.report.prefix(12))  text/markdown"), result.stdout)
    }

    func testJSONAndMermaidHoldTheSameGraph() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let json = try tlab(["lineage", hashes.report, "--json", "--store", "store"], in: folder)
        XCTAssertEqual(json.status, 0, json.stderr)
        let graph = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let stages = (graph["stageRuns"] as! [[String: Any]]).map { $0["stage"] as! String }
        XCTAssertEqual(Set(stages), ["data", "prep", "pretrain", "report"])
        XCTAssertEqual((graph["artifacts"] as! [[String: Any]]).count, 4)
        XCTAssertEqual(graph["direction"] as? String, "up")
        XCTAssertEqual(graph["roots"] as? [String], [hashes.report])
        // The field names scripts read, as Store's lineage nodes encode them.
        XCTAssertEqual(Set(graph.keys), ["target", "direction", "roots", "artifacts", "stageRuns", "edges"])
        let artifact = (graph["artifacts"] as! [[String: Any]]).first { $0["hash"] as? String == hashes.report }!
        XCTAssertEqual(Set(artifact.keys), ["hash", "mediaType", "rawBytes", "depth", "producedBy"])
        XCTAssertEqual(artifact["mediaType"] as? String, "text/markdown")
        XCTAssertEqual(artifact["depth"] as? Int, 0)
        let edge = try XCTUnwrap((graph["edges"] as! [[String: Any]]).first)
        XCTAssertEqual(Set(edge.keys), ["stageRun", "port", "artifact", "role"])
        XCTAssertTrue(["input", "output"].contains(edge["role"] as! String))
        // A stage run's parameters are the recorded JSON object, numbers as numbers.
        let pretrain = (graph["stageRuns"] as! [[String: Any]]).first { $0["stage"] as? String == "pretrain" }!
        XCTAssertEqual(Set(pretrain.keys), ["id", "run", "stage", "kind", "key", "params", "status", "cacheHit",
                                            "seconds", "started", "depth"])
        let params = try XCTUnwrap(pretrain["params"] as? [String: Any])
        XCTAssertEqual(params["epochs"] as? Int, 2)
        XCTAssertEqual(params["lr"] as? Double, 0.001)

        let mermaid = try tlab(["lineage", hashes.report, "--format", "mermaid", "--store", "store"], in: folder)
        XCTAssertTrue(mermaid.stdout.hasPrefix("flowchart LR\n"), mermaid.stdout)
        XCTAssertTrue(mermaid.stdout.contains("[\"data<br/>download, run 1\"]"), mermaid.stdout)
        XCTAssertTrue(mermaid.stdout.contains("-->|raw| r2"), mermaid.stdout)
    }
}
