// The shipped pipelines parse, check and expand as their comments say.
import XCTest
@testable import Pipeline

final class ShippedPipelineTests: XCTestCase {
    func testSmokeHasEveryKindAndFourVariants() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("smoke.yaml"))
        XCTAssertEqual(plan.name, "smoke")
        XCTAssertEqual(plan.seed, 7)
        XCTAssertEqual(plan.variants, ["scratch", "basic", "optimized", "frozen"])
        XCTAssertEqual(Set(plan.stages.map(\.kind)), Set(StageKind.allCases))
        XCTAssertEqual(plan.stages.count, 3 + 4 * 4 + 1)
        XCTAssertEqual(try plan.stage("data").parameters.string("source"), "synthetic")
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters.string("freeze"), "backbone")
    }

    func testFashionTransferIsTheStudysDesignOnFashionMNIST() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("fashion-transfer.yaml"))
        XCTAssertEqual(plan.variants, ["scratch", "basic", "optimized", "frozen"])
        let prep = try plan.stage("prep").parameters
        XCTAssertEqual(prep.ints("source_classes"), [0, 1, 2, 3, 4])
        XCTAssertEqual(prep.ints("target_classes"), [5, 6, 7, 8, 9])
        XCTAssertGreaterThan(prep.int("per_class"), 0, "the target task has few labels")
        XCTAssertGreaterThan(prep.double("validation_fraction"), 0, "epochs are selected without the test set")
        let pretrain = try plan.stage("pretrain").parameters
        XCTAssertEqual([pretrain.int("depth"), pretrain.int("growth")], [40, 12])
        XCTAssertEqual(plan.seeds, [42, 43, 44, 45], "every variant over four seeds")
        XCTAssertEqual(plan.stages.filter { $0.kind == .pretrain }.count, 1, "one backbone, shared by every seed")
        XCTAssertEqual(try plan.stage("finetune@scratch#42").parameters.string("init"), "random")
        XCTAssertEqual(try plan.stage("finetune@optimized#43").parameters.string("head"), "study-optimized")
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters.string("freeze"), "backbone")
        XCTAssertEqual(try plan.stage("finetune@frozen#45").parameters.string("head"), "study-frozen")
        XCTAssertEqual(try plan.stage("finetune@frozen#45").parameters.int("seed"), 45)
        for stage in plan.stages where stage.kind == .finetune {
            XCTAssertTrue(stage.parameters.bool("precise_bn"), stage.name)
            XCTAssertTrue(stage.parameters.bool("restore_best"), stage.name)
            XCTAssertEqual(stage.parameters.string("last_batch"), "merge", "450 images in batches of 64 leave 2: \(stage.name)")
        }
        // No 2-image BatchNorm batch any more; the small validation split is acknowledged.
        XCTAssertEqual(plan.recipeWarnings.map(\.rule), [.smallValidation])
        XCTAssertTrue(plan.recipeWarnings.allSatisfy(\.accepted))
    }

    func testCifarStudyKeepsTheStudysSettings() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("cifar10-densenet121.yaml"))
        XCTAssertEqual(plan.variants, ["basic", "optimized", "frozen"])
        XCTAssertEqual(Set(plan.variants), Set(StudyFigure.denseNetCIFAR10.keys),
                       "the report shows the study's figures beside the variants of the same name")
        XCTAssertEqual(try plan.stage("data").parameters.string("source"), "cifar10")
        let pretrain = try plan.stage("pretrain")
        XCTAssertEqual(pretrain.inputs, [], "imported weights need no training data")
        XCTAssertEqual(pretrain.parameters.string("model"), "densenet-121")
        XCTAssertEqual(pretrain.parameters.int("input_size"), 155)
        XCTAssertNotNil(pretrain.parameters.optionalString("weights"))
        XCTAssertEqual(try plan.stage("prep").parameters.string("normalize"), "imagenet")
        for variant in plan.variants {
            let p = try plan.stage("finetune@\(variant)").parameters
            XCTAssertEqual(p.int("batch"), 128)
            XCTAssertEqual(p.int("epochs"), 32)
            XCTAssertEqual(p.string("optimizer"), "adam")
            XCTAssertEqual(p.double("lr"), 0.001)
            XCTAssertEqual(p.int("reduce_lr_patience"), 3)
            XCTAssertEqual(p.double("reduce_lr_factor"), 0.1)
            XCTAssertEqual(p.double("min_lr"), 1e-5)
            XCTAssertEqual(p.int("early_stopping_patience"), 10)
            // Keras's callbacks default to val_loss, and the study named no monitor for them.
            XCTAssertEqual(p.optionalString("reduce_lr_monitor"), "val_loss")
            XCTAssertEqual(p.optionalString("early_stopping_monitor"), "val_loss")
            XCTAssertEqual(p.string("monitor"), "val_accuracy")
        }
        // The study validated on its test set and ran each model once: reproduced on purpose, and said.
        XCTAssertEqual(plan.recipeWarnings.map(\.rule), [.testSelectsEpochs, .fewSeeds])
        XCTAssertTrue(plan.recipeWarnings.allSatisfy(\.accepted))
        XCTAssertEqual(try plan.stage("finetune@basic").parameters.string("pooling"), "avg")
        XCTAssertEqual(try plan.stage("freeze@basic").parameters.string("freeze"), "none")
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters.string("freeze"), "backbone")
        XCTAssertTrue(try plan.stage("report").parameters.bool("study"))
    }

    func testImageFolderReadsTheSampleFolderTheREADMEWrites() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("image-folder.yaml"))
        let data = try plan.stage("data").parameters
        XCTAssertEqual(data.string("source"), "image-folder")
        XCTAssertEqual(data.optionalString("path"), "data/sample-images", "what `tlab sample-images data/sample-images` writes")
        XCTAssertNil(data.optionalString("sha256"), "a local folder is keyed by its content")
        let prep = try plan.stage("prep").parameters
        XCTAssertTrue(prep.bool("skip_bad_images"))
        XCTAssertGreaterThan(prep.int("resize"), 0, "the sample images have mixed sizes")
        XCTAssertEqual(plan.variants, ["scratch", "basic", "frozen"])
        XCTAssertEqual(Set(plan.stages.map(\.kind)), Set(StageKind.allCases))
    }

    func testAMissingFileSaysSo() {
        XCTAssertThrowsError(try PipelinePlan(contentsOf: "/nonexistent/p.yaml")) { error in
            guard case .unreadable(path: "/nonexistent/p.yaml", _)? = error as? PipelineError else {
                return XCTFail("\(error)")
            }
        }
    }
}
