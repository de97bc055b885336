// Variants copy the freeze → fine-tune → evaluate branch per variant, share everything upstream,
// and the report gathers every copy's evaluation.
import XCTest
@testable import Pipeline

final class VariantExpansionTests: XCTestCase {
    func testBranchIsCopiedPerVariantAndUpstreamShared() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml")
        XCTAssertEqual(plan.stages.map(\.name), [
            "data", "prep", "pretrain",
            "freeze@scratch", "finetune@scratch", "evaluate@scratch",
            "freeze@frozen", "finetune@frozen", "evaluate@frozen",
            "report",
        ])
        let finetune = try plan.stage("finetune@frozen")
        XCTAssertEqual(finetune.template, "finetune")
        XCTAssertEqual(finetune.variant, "frozen")
        XCTAssertEqual(finetune.inputs, [StageInput(port: "backbone", stage: "freeze@frozen"), StageInput(port: "data", stage: "prep")])
        XCTAssertEqual(try plan.stage("freeze@scratch").inputs.map(\.stage), ["pretrain", "prep"])
        XCTAssertEqual(try plan.stage("report").inputs, [
            StageInput(port: "evaluations", stage: "evaluate@scratch"),
            StageInput(port: "evaluations", stage: "evaluate@frozen"),
        ])
    }

    func testBareKeysApplyToEveryBranchStageWhoseKindHasThem() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: ["variants.frozen.batch=8"])
        XCTAssertEqual(try plan.stage("freeze@frozen").parameters["freeze"], .string("backbone"))
        XCTAssertEqual(try plan.stage("freeze@scratch").parameters["freeze"], .string("none"))
        XCTAssertEqual(try plan.stage("finetune@frozen").parameters["head"], .string("study-frozen"))
        XCTAssertEqual(try plan.stage("finetune@scratch").parameters["init"], .string("random"))
        XCTAssertEqual(try plan.stage("pretrain").parameters["head"], .string("linear"), "pretrain is shared, not in the branch")
        for stage in ["freeze@frozen", "finetune@frozen", "evaluate@frozen"] {
            XCTAssertEqual(try plan.stage(stage).parameters["batch"], .int(8), stage)
        }
        XCTAssertEqual(try plan.stage("finetune@scratch").parameters["lr"], .float(0.001), "the file's own value stays")
    }

    func testWithoutVariantsNothingIsCopied() throws {
        let single = Fixtures.tiny.components(separatedBy: "variants:")[0]
        let plan = try PipelinePlan(yaml: single, file: "t.yaml")
        XCTAssertEqual(plan.stages.map(\.name), ["data", "prep", "pretrain", "freeze", "finetune", "evaluate", "report"])
        XCTAssertEqual(try plan.stage("report").inputs, [StageInput(port: "evaluations", stage: "evaluate")])
    }

    func testVariantKeysThatSetNothingAreErrors() {
        let yaml = Fixtures.tiny + "  wide: { pretrain.growth: 24, finetune.lrr: 1 }\n"
        XCTAssertEqual(Fixtures.problems(yaml, file: "t.yaml"), [
            "t.yaml:17:11: variant 'wide' sets 'pretrain.growth', which matches nothing in the per-variant branch; valid: freeze, finetune, evaluate",
            "t.yaml:17:32: stage 'finetune' (fine-tune) has no parameter 'lrr' (did you mean 'lr'?); fine-tune parameters: init, head, pooling, reduce_lr_patience, reduce_lr_factor, min_lr, early_stopping_patience, monitor, reduce_lr_monitor, early_stopping_monitor, restore_best, label_smoothing, checkpoint_every, epochs, batch, last_batch, optimizer, lr, momentum, weight_decay, augment, precise_bn, precise_bn_batches, seed, shards",
        ])
    }

    func testAFileMistakeInTheBranchIsReportedOnceNotPerVariant() {
        let yaml = Fixtures.tiny.replacingOccurrences(of: "params: { lr: 0.001 }", with: "params: { lr: -1 }")
        XCTAssertEqual(Fixtures.problems(yaml, file: "t.yaml"), ["t.yaml:11:88: 'lr' is -1, expected a number in 1e-08...10.0"])
    }

    func testScratchNeedsNoBackboneInput() throws {
        let yaml = Fixtures.tiny.replacingOccurrences(of: "inputs: { backbone: freeze, data: prep }", with: "inputs: { data: prep }")
        XCTAssertEqual(Fixtures.problems(yaml, file: "t.yaml"),
                       ["t.yaml:11:3: stage 'finetune' needs input 'backbone' from a freeze or pretrain stage"],
                       "only the pretrained variant (frozen) needs it")
    }

    func testAFileStageNameFindsEveryCopy() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml")
        XCTAssertEqual(try plan.stages(named: "finetune").map(\.name), ["finetune@scratch", "finetune@frozen"])
        XCTAssertEqual(try plan.stages(named: "finetune@frozen").map(\.name), ["finetune@frozen"])
        XCTAssertEqual(try plan.stages(named: "prep").map(\.name), ["prep"])
        XCTAssertThrowsError(try plan.stages(named: "finetune@frozn")) { error in
            XCTAssertEqual("\(error)", "no stage 'finetune@frozn' (did you mean 'finetune@frozen'?); stages: data, prep, pretrain, freeze@scratch, finetune@scratch, evaluate@scratch, freeze@frozen, finetune@frozen, evaluate@frozen, report")
        }
    }
}
