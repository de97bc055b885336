// The shipped smoke pipeline through the executor: every stage kind on real (synthetic) data, and a
// second run that is all cache hits. A debug build shrinks it with overrides (the engine runs many
// times slower unoptimised); a release build runs it as shipped and prints its timings.
import Foundation
import XCTest
@testable import Pipeline

final class ExecutorSmokeTests: XCTestCase {
    #if DEBUG
    private let overrides = ["data.images=200", "data.image_size=12", "pretrain.depth=7", "pretrain.growth=2",
                             "pretrain.epochs=1", "finetune.epochs=1", "prep.per_class=10"]
    #else
    private let overrides: [String] = []
    #endif

    func testTheSmokePipelineRunsEveryStageThenReusesEverything() throws {
        let store = try makeExecutionStore()
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("smoke.yaml"), overrides: overrides)
        let log = EventLog()
        let started = Date()
        let first = try Executor(plan: plan, store: store, options: ExecutorOptions(quiet: true)) { log.append($0) }.run()
        let seconds = Date().timeIntervalSince(started)
        XCTAssertFalse(first.failed, "\(first.stages.filter { if case .failed = $0.state { true } else { false } })")
        XCTAssertEqual(Set(first.stages.filter { $0.state == .computed }.map(\.kind)), Set(StageKind.allCases))
        // The freeze stages of the three unfrozen variants share a key: the first computes, the others reuse it.
        XCTAssertEqual(log.finished(.hit), ["freeze@basic", "freeze@optimized"])
        for case let .message(stage?, text) in log.all where stage.hasPrefix("evaluate") { print("\(stage): \(text)") }
        print(String(format: "smoke pipeline: %.1f s; ", seconds)
              + first.stages.map { "\($0.name) " + String(format: "%.1f", $0.seconds) }.joined(separator: ", "))

        let second = try Executor(plan: plan, store: store, options: ExecutorOptions(quiet: true)).run()
        XCTAssertEqual(second.computed, [])
    }
}
