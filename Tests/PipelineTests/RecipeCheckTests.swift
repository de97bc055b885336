// The recipe check: each rule fires on the set-up it describes, with its figures and fix in the
// text, stays quiet when the set-up is fixed, and `accept_warnings` acknowledges instead of hiding.
@testable import Pipeline
@testable import Reporting
import XCTest

final class RecipeCheckTests: XCTestCase {
    /// The default pipeline's shape: 5 target classes × 150 images, 40 % held out, so 450 training
    /// images in batches of 64 (a last batch of 2), 300 validation images, four variants.
    private func pipeline(seeds: String = "repeats: 3", prep: String = "per_class: 150, validation_fraction: 0.4",
                          finetune: String = "epochs: 12, early_stopping_patience: 6", top: String = "") -> String {
        """
        name: check
        seed: 42
        \(seeds)
        \(top)
        stages:
          data: { kind: download, params: { source: fashion-mnist } }
          prep:
            kind: preprocess
            inputs: { raw: data }
            params: { source_classes: [0, 1, 2, 3, 4], target_classes: [5, 6, 7, 8, 9], source_per_class: 1500,
                      test_per_class: 300, \(prep) }
          pretrain: { kind: pretrain, inputs: { data: prep }, params: { epochs: 3 } }
          freeze: { kind: freeze, inputs: { backbone: pretrain, data: prep } }
          finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { \(finetune) } }
          evaluate: { kind: evaluate, inputs: { model: finetune, data: prep } }
          report: { kind: report, inputs: { evaluations: evaluate } }
        variants:
          basic: { init: pretrained, head: linear }
          optimized: { init: pretrained, head: study-optimized }
          frozen: { init: pretrained, freeze: backbone, head: linear }

        """
    }

    private func warnings(_ yaml: String) throws -> [RecipeWarning] {
        try PipelinePlan(yaml: yaml, file: "check.yaml").recipeWarnings
    }

    func testATwoImageLastBatchIsWarnedAboutWithItsFiguresAndFix() throws {
        let found = try warnings(pipeline()).filter { $0.rule == .smallBatch }
        // The frozen variant trains only a linear head on fixed features: no BatchNorm in training mode.
        XCTAssertEqual(found.map(\.description), [
            "small-batch in finetune@basic, finetune@optimized: trains BatchNorm on batches as small as 2 images "
                + "(450 training images in batches of 64 leave a last batch of 2 (last_batch: keep); the threshold is 16), "
                + "so those images are normalised against each other. Fix: last_batch: drop or merge, or a batch that divides 450.",
        ])
        // Pretraining: 5 × 900 = 4500 images leave 4500 mod 64 = 20, above the threshold.
        XCTAssertFalse(found.contains { $0.stages.contains("pretrain") })
    }

    func testDroppingOrMergingTheLastBatchOrARaisedThresholdDecides() throws {
        XCTAssertFalse(try warnings(pipeline(finetune: "epochs: 12, last_batch: drop")).contains { $0.rule == .smallBatch })
        XCTAssertFalse(try warnings(pipeline(finetune: "epochs: 12, last_batch: merge")).contains { $0.rule == .smallBatch })
        XCTAssertFalse(try warnings(pipeline(finetune: "epochs: 12, batch: 50")).contains { $0.rule == .smallBatch })
        let strict = try warnings(pipeline(finetune: "epochs: 12, batch: 64, last_batch: drop", top: "min_batchnorm_batch: 100"))
        XCTAssertEqual(strict.first { $0.rule == .smallBatch && $0.stages.contains("finetune@basic") }?.finding,
                       "trains BatchNorm on batches as small as 64 images (batch is 64; the threshold is 100), "
                        + "so those images are normalised against each other")
    }

    func testTheTestSetSelectingEpochsIsWarnedAbout() throws {
        let found = try warnings(pipeline(prep: "per_class: 150, validation_fraction: 0")).filter { $0.rule == .testSelectsEpochs }
        XCTAssertEqual(found.map(\.description), [
            "test-selects-epochs in finetune@basic, finetune@optimized, finetune@frozen: validates on the test set "
                + "(validation_fraction: 0 in stage prep), which selects its epoch and stops it early, so its test figures "
                + "are optimistic. Fix: a validation_fraction above 0 in stage prep.",
        ])
    }

    func testFewSeedsSmallValidationAndIdlePatience() throws {
        let found = try warnings(pipeline(seeds: "", finetune: "epochs: 6, early_stopping_patience: 6, last_batch: drop"))
        XCTAssertEqual(found.map(\.rule), [.smallValidation, .idlePatience, .fewSeeds])
        XCTAssertEqual(found[0].description,
                       "small-validation in finetune@basic, finetune@optimized, finetune@frozen: selects on a validation split "
                        + "of 300 images: one image is 0.33 points and an accuracy near 90 % is known only to ±3.4 points (95 %), "
                        + "coarser than the differences the report compares. Fix: hold out more images (validation_fraction, per_class) or monitor val_loss.")
        XCTAssertEqual(found[2].description,
                       "few-seeds in report: compares 3 variants over 1 seed each: with fewer than 3 the intervals are missing "
                        + "or too wide to tell variants apart. Fix: repeats: 3 or more (or a seeds: list of 3 or more).")
        // 5 × 300 = 1,500 validation images: ±1.5 points, inside the bound of 2.
        XCTAssertFalse(try warnings(pipeline(prep: "per_class: 600, validation_fraction: 0.5")).contains { $0.rule == .smallValidation })
    }

    func testAcceptingAWarningMarksItAcknowledgedAndLeavesTheOthers() throws {
        let open = try warnings(pipeline())
        let accepted = try warnings(pipeline(top: "accept_warnings: [small-batch]"))
        XCTAssertEqual(open.map(\.rule), accepted.map(\.rule))
        XCTAssertEqual(accepted.filter(\.accepted).map(\.rule), [.smallBatch])
        XCTAssertFalse(open.contains(where: \.accepted))
    }

    func testAcceptingAnUnknownWarningIsAnErrorListingTheNames() {
        XCTAssertThrowsError(try PipelinePlan(yaml: pipeline(top: "accept_warnings: [small-batches]"), file: "check.yaml")) { error in
            XCTAssertTrue("\(error)".contains("accept_warnings"), "\(error)")
            XCTAssertTrue("\(error)".contains("small-batch, test-selects-epochs, few-seeds, small-validation, idle-patience"), "\(error)")
        }
    }

    /// The report stage carries the warnings in its key: acknowledging one renders the report again;
    /// a pipeline without warnings keeps its report's key.
    func testTheReportsKeyFollowsItsWarnings() throws {
        let open = Fixtures.keys(of: try PipelinePlan(yaml: pipeline(), file: "check.yaml"))
        let accepted = Fixtures.keys(of: try PipelinePlan(yaml: pipeline(top: "accept_warnings: [small-batch]"), file: "check.yaml"))
        XCTAssertEqual(Set(open.keys.filter { open[$0] != accepted[$0] }), ["report"])
        let report = try PipelinePlan(yaml: pipeline(top: "accept_warnings: [small-batch]"), file: "check.yaml").stage("report")
        XCTAssertEqual(report.carriedWarnings.filter(\.accepted).map(\.rule), [.smallBatch])
    }
}
