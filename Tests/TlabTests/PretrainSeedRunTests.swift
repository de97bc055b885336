// End to end with pretraining seeds: adding `pretrain_seeds` to a pipeline already run computes only
// the new backbone and what stands on it (a random-init variant's copies read only the backbone's
// architecture, so they are cached), the report nests the fine-tuning seeds in the backbones, and
// `tlab reproduce` certifies the report, whether its first backbone was computed before the copies
// had their `~seed` names or under them.
import Foundation
import XCTest

final class PretrainSeedRunTests: XCTestCase {
    func testASecondBackboneComputesOnlyItsStagesAndTheReportNestsSeedsInBackbones() throws {
        let folder = try makeScratchFolder()
        try tinyPipeline.replacingOccurrences(of: "seed: 3\n", with: "seed: 3\nseeds: [1, 2]\n")
            .replacingOccurrences(of: "variants:\n", with: "variants:\n  scratch: { init: random, head: linear }\n")
            .write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        let first = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        // freeze@basic has freeze@scratch's settings and inputs, so the same key.
        XCTAssertTrue(first.stdout.contains("run 1 finished: 18 computed, 1 cached"), first.stdout)

        // Pretraining seed 3 is the pipeline's seed, the one the single pretrain stage had: its backbone is cached.
        let second = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet", "-S", "pretrain_seeds=[3,4]"], in: folder)
        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        XCTAssertTrue(second.stdout.contains("run 2 finished: 12 computed, 23 cached"), second.stdout)
        let computed = second.stdout.split(separator: "\n").filter { $0.hasPrefix("computed ") }
            .map { String($0.split(separator: " ")[1]) }.sorted()
        XCTAssertEqual(computed, [
            "evaluate@basic~4#1", "evaluate@basic~4#2", "evaluate@frozen~4#1", "evaluate@frozen~4#2",
            "finetune@basic~4#1", "finetune@basic~4#2", "finetune@frozen~4#1", "finetune@frozen~4#2",
            "freeze@frozen~4", "freeze@scratch~4", "pretrain~4", "report",
        ])

        let report = try String(contentsOf: folder.appendingPathComponent("reports/tiny/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("3 variants, 2 seeds each (1, 2), on 2 backbones (pretraining seeds 3, 4)."), report)
        XCTAssertTrue(report.contains("### Between and within backbones"), report)
        XCTAssertTrue(report.contains("\n| basic | 3, 4 | 2 | "), report)
        XCTAssertTrue(report.contains("2 backbones, seeds paired within each)."), report)
        XCTAssertTrue(report.contains("unpaired, Welch's t-test)."), "scratch stands on no backbone: \(report)")
        let results = try String(contentsOf: folder.appendingPathComponent("reports/tiny/results.csv"), encoding: .utf8)
            .split(separator: "\n")
        XCTAssertEqual(results.count, 1 + 2 + 2 * 2 * 2, "scratch once per seed, the others per backbone and seed")
        XCTAssertEqual(results.filter { $0.hasPrefix("basic,") }.map { $0.split(separator: ",").last! }, ["3", "3", "4", "4"])

        // The first backbone's stages were computed in run 1 as `finetune@basic#1` and the like; run 2
        // read them as `finetune@basic~3#1`, and the reproduced report must group them as run 2 did.
        let reproduced = try tlab(["reproduce", "reports/tiny/report.md", "--store", "store"], in: folder)
        XCTAssertEqual(reproduced.status, 0, reproduced.stdout + reproduced.stderr)
        XCTAssertTrue(reproduced.stdout.contains(" identical apart from measured times and the run's provenance\n"), reproduced.stdout)
        XCTAssertTrue(reproduced.stdout.contains("finetune@basic~3#1"), reproduced.stdout)
    }

    func testCopiesWithOneKeyComputeOnceInARunAndTheReportReproduces() throws {
        let folder = try makeScratchFolder()
        try tinyPipeline.replacingOccurrences(of: "seed: 3\n", with: "seed: 3\nseeds: [1, 2]\npretrain_seeds: [5, 6]\n")
            .replacingOccurrences(of: "variants:\n", with: "variants:\n  scratch: { init: random, head: linear }\n")
            .write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        let run = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        // 35 stages; scratch's fine-tunes and evaluations on backbone 6 are those on backbone 5, and
        // freeze@basic on each backbone is freeze@scratch there (the same settings and inputs).
        XCTAssertTrue(run.stdout.contains("run 1 finished: 29 computed, 6 cached"), run.stdout)
        let computed = run.stdout.split(separator: "\n").filter { $0.hasPrefix("computed ") }
            .map { String($0.split(separator: " ")[1]) }
        XCTAssertEqual(computed.filter { $0.contains("@scratch") && $0.contains("#") }.sorted(),
                       ["evaluate@scratch~5#1", "evaluate@scratch~5#2", "finetune@scratch~5#1", "finetune@scratch~5#2"])

        // The recorded report model, backbones included, comes out of its lineage again.
        let reproduced = try tlab(["reproduce", "reports/tiny/report.md", "--store", "store"], in: folder)
        XCTAssertEqual(reproduced.status, 0, reproduced.stdout + reproduced.stderr)
        XCTAssertTrue(reproduced.stdout.contains(" identical apart from measured times and the run's provenance\n"), reproduced.stdout)
    }
}
