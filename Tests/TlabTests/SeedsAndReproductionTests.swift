// End to end over seeds: a seed added later computes only its own stages, listings gather a stage's
// seed copies, the report tells a trained variant from an untrained one and not two identical ones,
// a forced stage says it reproduced, and `tlab reproduce` certifies a report, with one thread as with two.
import Foundation
import XCTest

final class SeedsAndReproductionTests: XCTestCase {
    func testAddedSeedsComputeOnlyTheirStagesAndListingsGatherThem() throws {
        let folder = try makeScratchFolder()
        try tinyPipeline.replacingOccurrences(of: "seed: 3\n", with: "seed: 3\nseeds: [1, 2]\n")
            .write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        let first = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stdout.contains("run 1 finished: 14 computed, 0 cached"), first.stdout)

        let status = try tlab(["status", "tiny.yaml", "--store", "store", "-S", "seeds=[1,2,3]"], in: folder)
        XCTAssertTrue(status.stdout.hasPrefix("tiny: 18 stages, 13 cached, 5 to run\n"), status.stdout)
        let rows = status.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: " +", with: " ", options: .regularExpression) }
        XCTAssertTrue(rows.contains("cached finetune@basic#{1,2} fine-tune 2 keys"), status.stdout)
        XCTAssertTrue(rows.contains { $0.hasPrefix("run finetune@basic#3 fine-tune ") && $0.hasSuffix(" never run") }, status.stdout)

        let added = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet", "-S", "seeds=[1,2,3]"], in: folder)
        let computed = added.stdout.split(separator: "\n").filter { $0.hasPrefix("computed ") }
            .map { String($0.split(separator: " ")[1]) }
        XCTAssertEqual(computed, ["finetune@basic#3", "evaluate@basic#3", "finetune@frozen#3", "evaluate@frozen#3", "report"])

        let dag = try tlab(["dag", "tiny.yaml", "-S", "seeds=[1,2,3]"], in: folder)
        XCTAssertTrue(dag.stdout.contains("      evaluate@frozen#{1,2,3} [evaluate] ← model: finetune@frozen#{1,2,3}; data: prep\n"),
                      dag.stdout)
        let runs = try tlab(["runs", "--store", "store"], in: folder)
        XCTAssertTrue(runs.stdout.split(separator: "\n")[1].hasSuffix("  1-3"), runs.stdout)
        XCTAssertTrue(runs.stdout.split(separator: "\n")[2].hasSuffix("  1, 2"), runs.stdout)
        let lineage = try tlab(["lineage", "reports/tiny/report.md", "--store", "store"], in: folder)
        XCTAssertTrue(lineage.stdout.contains("… and likewise evaluate@basic#{2,3} (2 more seeds)"), lineage.stdout)
        XCTAssertEqual(lineage.stdout.components(separatedBy: "finetune@basic#").count - 1, 1,
                       "one seed's subtree is drawn, the others named: \(lineage.stdout)")

        let report = try String(contentsOf: folder.appendingPathComponent("reports/tiny/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("2 variants, 3 seeds each (1, 2, 3)."), report)
        let results = try String(contentsOf: folder.appendingPathComponent("reports/tiny/results.csv"), encoding: .utf8)
        XCTAssertEqual(results.split(separator: "\n").count, 1 + 2 * 3, "one row per variant and seed")
    }

    func testTheReportTellsTrainedFromUntrainedButNotTwins() throws {
        let folder = try makeScratchFolder()
        try contrastPipeline.write(to: folder.appendingPathComponent("contrast.yaml"), atomically: true, encoding: .utf8)
        let run = try tlab(["run", "contrast.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let report = try String(contentsOf: folder.appendingPathComponent("reports/contrast/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("- **trained** beats **untrained** by "), report)
        XCTAssertTrue(report.contains("- **untrained** and **twin** gave the same test accuracy on every one of their 5 seeds: "
            + "the data cannot tell them apart."), report)
        let comparisons = try String(contentsOf: folder.appendingPathComponent("reports/contrast/comparisons.csv"), encoding: .utf8)
        XCTAssertTrue(comparisons.contains("\ntrained,untrained,3 4 5 6 7,"), comparisons)
        XCTAssertTrue(comparisons.split(separator: "\n").first { $0.hasPrefix("trained,untrained,") }?.hasSuffix(",true,seed,") ?? false,
                      comparisons)
        XCTAssertTrue(comparisons.split(separator: "\n").first { $0.hasPrefix("untrained,twin,") }?.hasSuffix(",false,seed,") ?? false,
                      comparisons)
    }

    func testForcedStagesAndReproductionCertifyTheResult() throws {
        let folder = try makePipelineFolder()
        XCTAssertEqual(try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder).status, 0)
        let forced = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet", "--force", "finetune@frozen"], in: folder)
        XCTAssertTrue(forced.stdout.contains("\nsame     finetune@frozen: reproduced bit-identically the result run 1 recorded\n"),
                      forced.stdout)

        // One thread instead of two: the engine's results must not depend on it.
        let reproduced = try tlab(["reproduce", "reports/tiny/report.md", "--store", "store", "--quiet"], in: folder,
                                  environment: ["TLAB_THREADS": "1"])
        XCTAssertEqual(reproduced.status, 0, reproduced.stdout + reproduced.stderr)
        XCTAssertTrue(reproduced.stdout.contains("\nfinetune@basic   bit-identical (4 outputs)\n"), reproduced.stdout)
        XCTAssertTrue(reproduced.stdout.contains("\nreport           identical apart from measured times and the run's provenance\n"),
                      reproduced.stdout)
        XCTAssertTrue(reproduced.stdout.hasSuffix("All 10 stages reproduced.\ncertificate: reports/tiny/reproduction.md\n"),
                      reproduced.stdout)
        let certificate = try String(contentsOf: folder.appendingPathComponent("reports/tiny/reproduction.md"), encoding: .utf8)
        XCTAssertTrue(certificate.hasPrefix("# Reproduction certificate: tiny\n\n**Reproduced.** All 10 stages reproduced."),
                      certificate)
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: folder.path).allSatisfy { !$0.hasPrefix("tlab-reproduce") })

        let unknown = try tlab(["reproduce", "99", "--store", "store"], in: folder)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no run 99 in this store"), unknown.stderr)
    }
}

/// Three variants over five seeds: one fine-tuned for ten epochs, two not at all under different names.
private let contrastPipeline = """
    name: contrast
    seed: 3
    repeats: 5
    stages:
      data: { kind: download, params: { source: synthetic, images: 1400, image_size: 12 } }
      prep:
        kind: preprocess
        inputs: { raw: data }
        params: { source_classes: [0, 1, 2, 3, 4], target_classes: [5, 6, 7, 8, 9], per_class: 40, validation_fraction: 0.25 }
      pretrain: { kind: pretrain, inputs: { data: prep }, params: { depth: 7, growth: 4, blocks: 2, epochs: 4, batch: 32 } }
      freeze: { kind: freeze, inputs: { backbone: pretrain, data: prep } }
      finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { epochs: 0, batch: 16 } }
      evaluate: { kind: evaluate, inputs: { model: finetune, data: prep } }
      report: { kind: report, inputs: { evaluations: evaluate } }
    variants:
      trained: { epochs: 10, lr: 0.005 }
      untrained: {}
      twin: {}

    """
