// `tlab check` prints the recipe check's warnings and fails while one is not acknowledged; `dag`
// prints them once on stderr and carries on.
import Foundation
import XCTest

final class RecipeCheckCommandTests: XCTestCase {
    /// 5 classes × 90 training images in batches of 64: every epoch ends with a batch of 2.
    private func pipeline(_ extra: String) -> String {
        """
        name: two-image-batch
        seed: 1
        repeats: 3
        \(extra)
        stages:
          data: { kind: download, params: { source: fashion-mnist } }
          prep:
            kind: preprocess
            inputs: { raw: data }
            params: { source_classes: [0, 1], target_classes: [5, 6, 7, 8, 9], per_class: 100, validation_fraction: 0.1 }
          finetune: { kind: fine-tune, inputs: { data: prep }, params: { init: random, restore_best: false } }

        """
    }

    private let warning = "small-batch in finetune: trains BatchNorm on batches as small as 2 images (450 training images "
        + "in batches of 64 leave a last batch of 2 (last_batch: keep); the threshold is 16), so those images are normalised "
        + "against each other. Fix: last_batch: drop or merge, or a batch that divides 450."

    func testCheckWarnsFailsAndAcknowledgingSilencesIt() throws {
        let folder = try makeScratchFolder()
        try pipeline("").write(to: folder.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let checked = try tlab(["check", "p.yaml"], in: folder)
        XCTAssertEqual(checked.status, 1, checked.stderr)
        XCTAssertEqual(checked.stdout, "warning: \(warning)\n")

        let dag = try tlab(["dag", "p.yaml"], in: folder)
        XCTAssertEqual(dag.status, 0, dag.stderr)
        XCTAssertEqual(dag.stderr, "warning: \(warning)\n", "printed once")

        try pipeline("accept_warnings: [small-batch]").write(to: folder.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let accepted = try tlab(["check", "p.yaml"], in: folder)
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        XCTAssertEqual(accepted.stdout, "acknowledged (accept_warnings): \(warning)\n")
        let quiet = try tlab(["dag", "p.yaml"], in: folder)
        XCTAssertEqual(quiet.stderr, "acknowledged (accept_warnings): small-batch; `tlab check` shows them\n")

        try pipeline("").replacingOccurrences(of: "restore_best: false", with: "restore_best: false, last_batch: merge")
            .write(to: folder.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let fixed = try tlab(["check", "p.yaml"], in: folder)
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertEqual(fixed.stdout, "two-image-batch: no warnings\n")
    }

    /// The tiny pipeline (45 training images in batches of 32, two variants, one seed): its report lists
    /// the warnings in its provenance; acknowledging them renders the report again, listing them as
    /// acknowledged, and the run no longer warns.
    func testTheReportRecordsWarningsAndWhatWasAcknowledged() throws {
        let folder = try makePipelineFolder()
        let first = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stderr.contains("warning: few-seeds in report: compares 2 variants over 1 seed each"), first.stderr)
        let reportURL = folder.appendingPathComponent("reports/tiny/report.md")
        let warned = try String(contentsOf: reportURL, encoding: .utf8)
        XCTAssertTrue(warned.contains("\n- **Warning:** few-seeds in report: compares 2 variants over 1 seed each"), warned)
        XCTAssertTrue(warned.contains("\n- **Warning:** small-batch in finetune@basic, finetune@frozen: trains BatchNorm on batches "
            + "as small as 13 images (45 training images in batches of 32 leave a last batch of 13"), warned)

        let accepting = "accept_warnings: [few-seeds, small-batch, small-validation]\nstages:"
        try tinyPipeline.replacingOccurrences(of: "stages:", with: accepting)
            .write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        let second = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        XCTAssertFalse(second.stderr.contains("warning:"), second.stderr)
        XCTAssertTrue(second.stdout.contains("computed report"), "acknowledging renders the report again: \(second.stdout)")
        XCTAssertTrue(second.stdout.contains("1 computed, 9 cached"), second.stdout)
        let acknowledged = try String(contentsOf: reportURL, encoding: .utf8)
        XCTAssertFalse(acknowledged.contains("**Warning:**"), acknowledged)
        XCTAssertTrue(acknowledged.contains("\n- Acknowledged in the pipeline (`accept_warnings`): few-seeds in report: compares 2 variants"),
                      acknowledged)
    }
}
