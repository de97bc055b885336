// The DAG: deterministic topological order, cycles named, reachability, and renderings that match
// the golden files byte for byte.
import XCTest
@testable import Pipeline

final class StageGraphTests: XCTestCase {
    private func graph(_ names: [String], _ edges: [(String, String)]) -> StageGraph {
        StageGraph(names: names, edges: edges.map { StageGraph.Edge(from: $0.0, to: $0.1, port: "in") })
    }

    func testTopologicalOrderBreaksTiesByDeclaration() {
        let g = graph(["d", "c", "b", "a"], [("a", "b"), ("c", "b"), ("b", "d")])
        XCTAssertEqual(g.topologicalOrder(), ["c", "a", "b", "d"])
        XCTAssertNil(g.cycle())
    }

    func testCycleIsNamedFromItsEarliestDeclaredStage() {
        let g = graph(["x", "a", "b", "c"], [("x", "a"), ("c", "a"), ("a", "b"), ("b", "c")])
        XCTAssertNil(g.topologicalOrder())
        XCTAssertEqual(g.cycle(), ["a", "b", "c"])
    }

    func testSelfLoopIsACycle() {
        XCTAssertEqual(graph(["a"], [("a", "a")]).cycle(), ["a"])
    }

    func testUpstreamAndDownstreamOfAVariantCopy() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml")
        XCTAssertEqual(plan.graph.upstream(of: "finetune@frozen"), ["data", "prep", "pretrain", "freeze@frozen"])
        XCTAssertEqual(plan.graph.downstream(of: "finetune@frozen"), ["evaluate@frozen", "report"])
        XCTAssertEqual(plan.graph.downstream(of: "prep").count, 8)
        XCTAssertEqual(plan.graph.producers(of: "report"), ["evaluate@scratch", "evaluate@frozen"])
    }

    func testPlanStagesAreInTopologicalOrder() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("fashion-transfer.yaml"))
        var seen = Set<String>()
        for stage in plan.stages {
            XCTAssertTrue(stage.inputs.allSatisfy { seen.contains($0.stage) }, stage.name)
            seen.insert(stage.name)
        }
    }

    func testRenderingsMatchGoldenFiles() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("smoke.yaml"))
        for format in DAGFormat.allCases {
            let golden = try Fixtures.golden("smoke-dag.\(format.rawValue)")
            XCTAssertEqual(plan.renderDAG(format), golden, "\(format) rendering differs from Tests/Golden/smoke-dag.\(format.rawValue)")
        }
    }
}
