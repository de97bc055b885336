// Pretraining seeds copy each pretrain stage, and everything after it up to the report, once per
// pretraining seed (`pretrain~7`, `finetune@frozen~7#2`); the copy whose pretraining seed is the one
// the stage had keeps every key, so only the new backbones and what stands on them compute; mistakes
// name the field and what is valid.
@testable import Pipeline
@testable import Reporting
import Foundation
import Store
import XCTest

final class PretrainSeedTests: XCTestCase {
    private func plan(_ top: String, overrides: [String] = []) throws -> PipelinePlan {
        try PipelinePlan(yaml: Fixtures.tiny.replacingOccurrences(of: "seed: 5\n", with: "seed: 5\n" + top + "\n"),
                         file: "t.yaml", overrides: overrides)
    }

    func testEachPretrainingSeedGetsItsOwnBackboneAndEverythingOnIt() throws {
        let plan = try plan("seeds: [1, 2]\npretrain_seeds: [5, 8]")
        XCTAssertEqual(plan.stages.map(\.name), [
            "data", "prep", "pretrain~5", "pretrain~8",
            "freeze@scratch~5", "freeze@scratch~8",
            "finetune@scratch~5#1", "finetune@scratch~5#2", "finetune@scratch~8#1", "finetune@scratch~8#2",
            "evaluate@scratch~5#1", "evaluate@scratch~5#2", "evaluate@scratch~8#1", "evaluate@scratch~8#2",
            "freeze@frozen~5", "freeze@frozen~8",
            "finetune@frozen~5#1", "finetune@frozen~5#2", "finetune@frozen~8#1", "finetune@frozen~8#2",
            "evaluate@frozen~5#1", "evaluate@frozen~5#2", "evaluate@frozen~8#1", "evaluate@frozen~8#2",
            "report",
        ])
        XCTAssertEqual(try plan.stage("pretrain~8").parameters["seed"], .int(8), "the pretraining seed is the copy's seed")
        XCTAssertEqual(try plan.stage("pretrain~8").backbone, 8)
        XCTAssertEqual(try plan.stage("freeze@frozen~8").inputs.map(\.stage), ["pretrain~8", "prep"])
        let copy = try plan.stage("finetune@frozen~8#2")
        XCTAssertEqual(copy.inputs.map(\.stage), ["freeze@frozen~8", "prep"])
        XCTAssertEqual(copy.parameters["seed"], .int(2), "fine-tuning seeds stay what they were")
        XCTAssertEqual(copy.variant, "frozen")
        XCTAssertEqual(copy.backbone, 8)
        XCTAssertEqual(copy.seed, 2)
        XCTAssertEqual(copy.group, "finetune@frozen~8", "what the seeds' copies on one backbone share")
        XCTAssertEqual(try plan.stage("report").inputs.count, 8)
        XCTAssertEqual(try plan.stages(named: "finetune@frozen").count, 4, "--force of a variant's copy: every backbone and seed")
        XCTAssertEqual(try plan.stages(named: "finetune@frozen~5").map(\.name), ["finetune@frozen~5#1", "finetune@frozen~5#2"])
        let dag = plan.renderDAG(.text)
        XCTAssertTrue(dag.contains("\n      freeze@scratch~5 [freeze] ← backbone: pretrain~5; data: prep\n"), dag)
        XCTAssertTrue(dag.contains("\n        finetune@frozen~8#{1,2} [fine-tune] ← backbone: freeze@frozen~8; data: prep\n"), dag)
    }

    /// Every stage's key, its inputs bound as the executor binds them, each stage having one output
    /// whose hash is a function of its key (a deterministic stage).
    private func keys(of plan: PipelinePlan) -> [String: StageKey] {
        var keys = [String: StageKey](), outputs = [String: [String: String]]()
        for stage in plan.stages {
            let key = KeyMaterial(stage: stage, inputs: InputBinding.inputs(of: stage, outputs: outputs)).key
            keys[stage.name] = key
            outputs[stage.name] = ["out": Digest.sha256Hex(Data(("output of " + key.hex).utf8))]
        }
        return keys
    }

    func testThePipelinesOwnPretrainingSeedKeepsItsKeysAndTheOthersAreNew() throws {
        let one = keys(of: try plan("seeds: [1, 2]"))
        let two = keys(of: try plan("seeds: [1, 2]\npretrain_seeds: [5, 8]"))
        for (name, key) in one where name != "report" {
            let parts = StageNaming.parts(name)
            let onFive = StageNaming.name(template: parts.template, variant: parts.variant,
                                          backbone: ["data", "prep"].contains(name) ? nil : 5, seed: parts.seed)
            XCTAssertEqual(two[onFive], key, "\(onFive) is \(name) on the same backbone")
        }
        let new = two.filter { _, key in !one.values.contains(key) }.keys.sorted()
        XCTAssertEqual(new, ["evaluate@frozen~8#1", "evaluate@frozen~8#2", "finetune@frozen~8#1", "finetune@frozen~8#2",
                             "freeze@frozen~8", "freeze@scratch~8", "pretrain~8", "report"],
                       "a random-init fine-tune reads nothing of its backbone's weights, so its copies on 8 are those on 5")
    }

    func testNamesOfCopiesReadBack() {
        let parts = StageNaming.parts("finetune@frozen~11#2")
        XCTAssertEqual(parts.template, "finetune")
        XCTAssertEqual(parts.variant, "frozen")
        XCTAssertEqual(parts.backbone, 11)
        XCTAssertEqual(parts.seed, 2)
        XCTAssertEqual(StageNaming.parts("pretrain~3").backbone, 3)
        XCTAssertNil(StageNaming.parts("finetune@frozen#2").backbone)
        XCTAssertEqual(StageNaming.split("finetune@frozen~11#2").group, "finetune@frozen~11")
    }

    func testMistakesNameTheFieldAndWhatIsValid() {
        func errors(_ top: String, yaml: String = Fixtures.tiny, overrides: [String] = []) -> [String] {
            Fixtures.problems(yaml.replacingOccurrences(of: "seed: 5\n", with: "seed: 5\n" + top + "\n"),
                              overrides: overrides, file: "t.yaml")
        }
        XCTAssertEqual(errors("pretrain_seeds: [1, 1]"), [
            "t.yaml:3:17: 'pretrain_seeds' is [1, 1], expected a non-empty list of distinct seeds in 0...2147483647, like [1, 2, 3]",
        ])
        XCTAssertEqual(errors("pretrain_seeds: 3"), [
            "t.yaml:3:17: 'pretrain_seeds' is 3, expected a list of integers in 0...2147483647, like [0, 1, 2]",
        ])
        XCTAssertEqual(errors("seeds: [1]\nper_seed: [pretrain, finetune]\npretrain_seeds: [1, 2]"), [
            "t.yaml:4:11: per_seed names 'pretrain', whose seed pretrain_seeds already sets (one backbone per pretraining "
                + "seed); remove 'pretrain' from per_seed or remove pretrain_seeds",
        ])
        XCTAssertEqual(errors("pretrain_seeds: [1, 2]", overrides: ["pretrain.seed=4"]), [
            "-S pretrain.seed=4: pretrain_seeds set the seed of each copy of stage 'pretrain', which sets seed too; remove "
                + "this seed (list it in pretrain_seeds to keep its backbone)",
        ])
        XCTAssertEqual(errors("pretrain_seeds: [1, 2]", overrides: ["pretrain.weights=w.safetensors"]), [
            "t.yaml:3:1: pretrain_seeds cannot vary stage 'pretrain', which imports its weights (weights:) instead of "
                + "training them; remove pretrain_seeds or weights",
        ])
        let withoutPretrain = """
            name: tiny
            seed: 5
            stages:
              data: { kind: download, params: { source: synthetic } }

            """
        XCTAssertEqual(errors("pretrain_seeds: [1, 2]", yaml: withoutPretrain), [
            "t.yaml:3:1: pretrain_seeds needs a stage of kind pretrain to copy, and this pipeline has none; remove pretrain_seeds",
        ])
    }
}
