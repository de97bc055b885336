// `-S` overrides change a stage parameter, a variant's parameter or the seed, and are checked like
// the file's own values, with errors naming the override.
import XCTest
@testable import Pipeline

final class OverrideTests: XCTestCase {
    func testStageParameterOverrideReachesEveryVariantCopy() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: ["finetune.lr=3e-4"])
        XCTAssertEqual(try plan.stage("finetune@scratch").parameters["lr"], .float(0.0003))
        XCTAssertEqual(try plan.stage("finetune@frozen").parameters["lr"], .float(0.0003))
    }

    func testVariantOverrideReachesOnlyThatVariant() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: ["variants.frozen.epochs=30"])
        XCTAssertEqual(try plan.stage("finetune@frozen").parameters["epochs"], .int(30))
        XCTAssertEqual(try plan.stage("finetune@scratch").parameters["epochs"], .int(10))
    }

    func testVariantOverrideMayNameTheStage() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: ["variants.scratch.evaluate.batch=16"])
        XCTAssertEqual(try plan.stage("evaluate@scratch").parameters["batch"], .int(16))
        XCTAssertEqual(try plan.stage("evaluate@frozen").parameters["batch"], .int(128))
    }

    func testSeedOverrideReachesSeededStagesButNotTheData() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: ["seed=3"])
        XCTAssertEqual(plan.seed, 3)
        XCTAssertEqual(try plan.stage("prep").parameters["seed"], .int(3))
        XCTAssertEqual(try plan.stage("finetune@frozen").parameters["seed"], .int(3))
        XCTAssertEqual(try plan.stage("data").parameters["seed"], .int(0))
    }

    func testALaterOverrideWinsAndListsParse() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                    overrides: ["finetune.epochs=4", "finetune.epochs=5", "prep.target_classes=[7, 8]"])
        XCTAssertEqual(try plan.stage("finetune@scratch").parameters["epochs"], .int(5))
        XCTAssertEqual(try plan.stage("prep").parameters["target_classes"], .ints([7, 8]))
    }

    /// Overrides that name nothing come first, then variant keys, then parameter values.
    func testBadOverridesAreReportedTogetherWithSuggestions() {
        XCTAssertEqual(Fixtures.problems(Fixtures.tiny, overrides: [
            "finetun.lr=1", "variants.frozn.epochs=3", "finetune.lr=fast", "finetune.lrr=0.1", "lr", "a.b.c=1", "variants.frozen.epoch=3",
        ]), [
            "-S finetun.lr=1: no stage or variant 'finetun' (did you mean 'finetune'?); valid: data, prep, pretrain, freeze, finetune, evaluate, report, variants, seed, seeds, repeats, per_seed",
            "-S variants.frozn.epochs=3: no stage or variant 'variants.frozn' (did you mean 'variants.frozen'?); valid: variants.scratch, variants.frozen",
            "-S lr: no '='; write STAGE.PARAM=VALUE, variants.VARIANT.PARAM=VALUE, seed=N, seeds=[N, …], repeats=N or per_seed=[STAGE, …]",
            "-S a.b.c=1: 'a.b.c' is not an override target; write STAGE.PARAM=VALUE, variants.VARIANT.PARAM=VALUE, seed=N, seeds=[N, …], repeats=N or per_seed=[STAGE, …]",
            "-S variants.frozen.epoch=3: variant 'frozen' sets 'epoch', which matches nothing in the per-variant branch (did you mean 'epochs'?); valid: freeze, cache_features, batch, shard_mib, init, head, pooling, reduce_lr_patience, reduce_lr_factor, min_lr, early_stopping_patience, monitor, reduce_lr_monitor, early_stopping_monitor, restore_best, label_smoothing, checkpoint_every, epochs, last_batch, optimizer, lr, momentum, weight_decay, augment, precise_bn, precise_bn_batches, seed, shards, seeds, repeats",
            "-S finetune.lr=fast: 'lr' is fast, expected a number in 1e-08...10.0",
            "-S finetune.lrr=0.1: stage 'finetune' (fine-tune) has no parameter 'lrr' (did you mean 'lr'?); fine-tune parameters: init, head, pooling, reduce_lr_patience, reduce_lr_factor, min_lr, early_stopping_patience, monitor, reduce_lr_monitor, early_stopping_monitor, restore_best, label_smoothing, checkpoint_every, epochs, batch, last_batch, optimizer, lr, momentum, weight_decay, augment, precise_bn, precise_bn_batches, seed, shards",
        ])
    }
}
