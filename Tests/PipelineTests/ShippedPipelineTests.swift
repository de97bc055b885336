// The shipped pipelines parse, check and expand as their comments say.
@testable import Pipeline
@testable import Reporting
import XCTest

final class ShippedPipelineTests: XCTestCase {
    func testSmokeHasEveryKindAndFourVariants() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("smoke.yaml"))
        XCTAssertEqual(plan.name, "smoke")
        XCTAssertEqual(plan.seed, 7)
        XCTAssertEqual(plan.variants, ["scratch", "basic", "optimized", "frozen"])
        XCTAssertEqual(Set(plan.stages.map(\.kind)), Set(StageKind.allCases))
        XCTAssertEqual(plan.stages.count, 3 + 4 * 4 + 1)
        XCTAssertEqual(try plan.stage("data").parameters["source"], .string("synthetic"))
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters["freeze"], .string("backbone"))
    }

    func testFashionTransferIsTheStudysDesignOnFashionMNIST() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("fashion-transfer.yaml"))
        XCTAssertEqual(plan.variants, ["scratch", "basic", "optimized", "frozen"])
        let prep = try plan.stage("prep").parameters
        XCTAssertEqual(prep["source_classes"], .ints([0, 1, 2, 3, 4]))
        XCTAssertEqual(prep["target_classes"], .ints([5, 6, 7, 8, 9]))
        XCTAssertGreaterThan(prep.decoded(as: PreprocessStage.Parameters.self).perClass, 0, "the target task has few labels")
        XCTAssertGreaterThan(prep.decoded(as: PreprocessStage.Parameters.self).validationFraction, 0, "epochs are selected without the test set")
        let pretrain = try plan.stage("pretrain").parameters
        XCTAssertEqual([pretrain["depth"], pretrain["growth"]], [.int(40), .int(12)])
        XCTAssertEqual(plan.seeds, [42, 43, 44, 45], "every variant over four seeds")
        XCTAssertEqual(plan.stages.filter { $0.kind == .pretrain }.count, 1, "one backbone, shared by every seed")
        XCTAssertEqual(try plan.stage("finetune@scratch#42").parameters["init"], .string("random"))
        XCTAssertEqual(try plan.stage("finetune@optimized#43").parameters["head"], .string("study-optimized"))
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters["freeze"], .string("backbone"))
        XCTAssertEqual(try plan.stage("finetune@frozen#45").parameters["head"], .string("study-frozen"))
        XCTAssertEqual(try plan.stage("finetune@frozen#45").parameters["seed"], .int(45))
        for stage in plan.stages where stage.kind == .fineTune {
            XCTAssertEqual(stage.parameters["precise_bn"], .bool(true), stage.name)
            XCTAssertEqual(stage.parameters["restore_best"], .bool(true), stage.name)
            XCTAssertEqual(stage.parameters["last_batch"], .string("merge"), "450 images in batches of 64 leave 2: \(stage.name)")
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
        XCTAssertEqual(try plan.stage("data").parameters["source"], .string("cifar10"))
        let pretrain = try plan.stage("pretrain")
        XCTAssertEqual(pretrain.inputs, [], "imported weights need no training data")
        XCTAssertEqual(pretrain.parameters["model"], .string("densenet-121"))
        XCTAssertEqual(pretrain.parameters["input_size"], .int(155))
        XCTAssertNotNil(pretrain.parameters["weights"])
        XCTAssertEqual(try plan.stage("prep").parameters["normalize"], .string("imagenet"))
        for variant in plan.variants {
            let p = try plan.stage("finetune@\(variant)").parameters
            XCTAssertEqual(p["batch"], .int(128))
            XCTAssertEqual(p["epochs"], .int(32))
            XCTAssertEqual(p["optimizer"], .string("adam"))
            XCTAssertEqual(p["lr"], .float(0.001))
            XCTAssertEqual(p["reduce_lr_patience"], .int(3))
            XCTAssertEqual(p["reduce_lr_factor"], .float(0.1))
            XCTAssertEqual(p["min_lr"], .float(1e-5))
            XCTAssertEqual(p["early_stopping_patience"], .int(10))
            // Keras's callbacks default to val_loss, and the study named no monitor for them.
            XCTAssertEqual(p["reduce_lr_monitor"], .string("val_loss"))
            XCTAssertEqual(p["early_stopping_monitor"], .string("val_loss"))
            XCTAssertEqual(p["monitor"], .string("val_accuracy"))
        }
        // The study validated on its test set and ran each model once: reproduced on purpose, and said.
        XCTAssertEqual(plan.recipeWarnings.map(\.rule), [.testSelectsEpochs, .fewSeeds])
        XCTAssertTrue(plan.recipeWarnings.allSatisfy(\.accepted))
        XCTAssertEqual(try plan.stage("finetune@basic").parameters["pooling"], .string("avg"))
        XCTAssertEqual(try plan.stage("freeze@basic").parameters["freeze"], .string("none"))
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters["freeze"], .string("backbone"))
        XCTAssertEqual(try plan.stage("report").parameters["study"], .bool(true))
    }

    func testImageFolderReadsTheSampleFolderTheREADMEWrites() throws {
        let plan = try PipelinePlan(contentsOf: Fixtures.pipeline("image-folder.yaml"))
        let data = try plan.stage("data").parameters
        XCTAssertEqual(data["source"], .string("image-folder"))
        XCTAssertEqual(data["path"], .string("data/sample-images"), "what `tlab sample-images data/sample-images` writes")
        XCTAssertNil(data["sha256"], "a local folder is keyed by its content")
        let prep = try plan.stage("prep").parameters
        XCTAssertEqual(prep["skip_bad_images"], .bool(true))
        XCTAssertGreaterThan(prep.decoded(as: PreprocessStage.Parameters.self).resize, 0, "the sample images have mixed sizes")
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
