// Recursive lineage over a small transfer-learning graph: download → preprocess → pretrain →
// fine-tune ×2 → evaluate ×2 → report, plus a second run that reuses everything from the cache.
import Foundation
import XCTest
@testable import Store

class LineageGraphTests: XCTestCase {
    /// The stage runs and artifacts of the graph, by the names used in the assertions.
    private struct Study {
        var lineage: LineageDatabase
        var stage: [String: Int64] = [:]
        var hash: [String: String] = [:]
    }

    private func buildStudy() throws -> Study {
        var study = Study(lineage: try makeLineageDatabase())
        let lineage = study.lineage
        let run = try lineage.startRun(pipeline: "study", pipelineHash: "p", seed: 1, toolVersion: "0.1")
        // (stage, inputs port → artifact label, outputs port → artifact label)
        let plan: [(String, [String: String], [String: String])] = [
            ("download", [:], ["files": "raw"]),
            ("preprocess", ["raw": "raw"], ["train": "train", "test": "test"]),
            ("pretrain", ["train": "train"], ["weights": "backbone"]),
            ("finetune-a", ["weights": "backbone", "data": "train"], ["weights": "tuned-a"]),
            ("finetune-b", ["weights": "backbone", "data": "train"], ["weights": "tuned-b"]),
            ("evaluate-a", ["weights": "tuned-a", "data": "test"], ["metrics": "eval-a"]),
            ("evaluate-b", ["weights": "tuned-b", "data": "test"], ["metrics": "eval-b"]),
            ("report", ["a": "eval-a", "b": "eval-b"], ["markdown": "report"]),
        ]
        for (name, inputs, outputs) in plan {
            let stageRun = try lineage.startStageRun(runID: run.id!, key: "key-\(name)", stage: name,
                                                     kind: name, params: "{}")
            try lineage.finishStageRun(stageRun.id!, inputs: inputs.mapValues { artifact($0).hash },
                                       outputs: outputs.mapValues { artifact($0) }, seconds: 1)
            study.stage[name] = stageRun.id
            for label in outputs.values { study.hash[label] = artifact(label).hash }
        }
        // A second run served entirely from the cache must not show up as a second branch.
        let rerun = try lineage.startRun(pipeline: "study", pipelineHash: "p", seed: 1, toolVersion: "0.1")
        for (name, _, _) in plan {
            let source = try XCTUnwrap(lineage.cachedStageRun(key: "key-\(name)"))
            _ = try lineage.recordCacheHit(runID: rerun.id!, stage: name, from: source)
        }
        return study
    }

    func testAncestorsOfTheReportReachTheDownloadWithShortestDepths() throws {
        let study = try buildStudy()
        let graph = try study.lineage.ancestors(of: study.hash["report"]!)

        XCTAssertEqual(depths(graph.artifacts.map { (label(of: $0.artifact.hash, in: study), $0.depth) }), [
            "report": 0, "eval-a": 1, "eval-b": 1, "tuned-a": 2, "tuned-b": 2, "test": 2,
            "backbone": 3, "train": 3, "raw": 3,
        ])
        XCTAssertEqual(depths(graph.stageRuns.map { (name(of: $0.stageRun.id!, in: study), $0.depth) }), [
            "report": 1, "evaluate-a": 2, "evaluate-b": 2, "finetune-a": 3, "finetune-b": 3, "preprocess": 3,
            "pretrain": 4, "download": 4,
        ])
        XCTAssertTrue(graph.stageRuns.allSatisfy { !$0.stageRun.cacheHit })
        XCTAssertEqual(graph.artifacts.map(\.depth), graph.artifacts.map(\.depth).sorted())
        // Every input of every ancestor is itself an ancestor, so each stage run shows all its inputs.
        let preprocessEdges = graph.edges.filter { $0.stageRunID == study.stage["preprocess"] }
        XCTAssertEqual(Set(preprocessEdges.map { "\($0.role.rawValue):\($0.port)" }),
                       ["input:raw", "output:train", "output:test"])
    }

    func testDescendantsOfTheBackboneStopAtTheReport() throws {
        let study = try buildStudy()
        let graph = try study.lineage.descendants(of: study.hash["backbone"]!)

        XCTAssertEqual(depths(graph.artifacts.map { (label(of: $0.artifact.hash, in: study), $0.depth) }), [
            "backbone": 0, "tuned-a": 1, "tuned-b": 1, "eval-a": 2, "eval-b": 2, "report": 3,
        ])
        XCTAssertEqual(depths(graph.stageRuns.map { (name(of: $0.stageRun.id!, in: study), $0.depth) }), [
            "finetune-a": 1, "finetune-b": 1, "evaluate-a": 2, "evaluate-b": 2, "report": 3,
        ])
        let edges = Set(graph.edges.map {
            "\(name(of: $0.stageRunID, in: study)) \($0.role.rawValue) \($0.port)=\(label(of: $0.artifactHash, in: study))"
        })
        XCTAssertEqual(edges, [
            "finetune-a input weights=backbone", "finetune-a output weights=tuned-a",
            "finetune-b input weights=backbone", "finetune-b output weights=tuned-b",
            "evaluate-a input weights=tuned-a", "evaluate-a output metrics=eval-a",
            "evaluate-b input weights=tuned-b", "evaluate-b output metrics=eval-b",
            "report input a=eval-a", "report input b=eval-b", "report output markdown=report",
        ], "inputs from outside the subgraph (train, test data) are left out")
    }

    func testLeavesAndSourcesHaveNothingBeyondThemselves() throws {
        let study = try buildStudy()
        let below = try study.lineage.descendants(of: study.hash["report"]!)
        XCTAssertEqual(below.artifacts.map(\.artifact.hash), [study.hash["report"]!])
        XCTAssertTrue(below.stageRuns.isEmpty)
        let above = try study.lineage.ancestors(of: study.hash["raw"]!)
        XCTAssertEqual(above.stageRuns.map(\.stageRun.id), [study.stage["download"]])
        XCTAssertThrowsError(try study.lineage.ancestors(of: artifact("unknown").hash))
    }

    private func depths(_ pairs: [(String, Int)]) -> [String: Int] {
        Dictionary(pairs, uniquingKeysWith: { first, _ in
            XCTFail("a node appears twice")
            return first
        })
    }

    private func label(of hash: String, in study: Study) -> String {
        study.hash.first { $0.value == hash }?.key ?? hash
    }

    private func name(of stageRunID: Int64, in study: Study) -> String {
        study.stage.first { $0.value == stageRunID }?.key ?? "stage run \(stageRunID)"
    }
}
