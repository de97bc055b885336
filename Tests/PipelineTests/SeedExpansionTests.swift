// Seeds copy the fine-tune → evaluate stages once per seed (or whatever `per_seed` names, and what
// follows it), each copy seeded by its seed; adding a seed leaves the others' keys alone; mistakes
// are reported where they were written; listings show one line per stage, its seeds together.
@testable import Pipeline
@testable import Reporting
import XCTest

final class SeedExpansionTests: XCTestCase {
    private func plan(_ top: String, variants: String? = nil, overrides: [String] = []) throws -> PipelinePlan {
        var yaml = Fixtures.tiny.replacingOccurrences(of: "seed: 5\n", with: "seed: 5\n" + top + "\n")
        if let variants { yaml = yaml.components(separatedBy: "variants:")[0] + "variants:\n" + variants }
        return try PipelinePlan(yaml: yaml, file: "t.yaml", overrides: overrides)
    }

    func testEachSeedGetsItsOwnFineTuneAndEvaluationAndSharesTheRest() throws {
        let plan = try plan("seeds: [1, 2, 3]")
        XCTAssertEqual(plan.stages.map(\.name), [
            "data", "prep", "pretrain",
            "freeze@scratch", "finetune@scratch#1", "finetune@scratch#2", "finetune@scratch#3",
            "evaluate@scratch#1", "evaluate@scratch#2", "evaluate@scratch#3",
            "freeze@frozen", "finetune@frozen#1", "finetune@frozen#2", "finetune@frozen#3",
            "evaluate@frozen#1", "evaluate@frozen#2", "evaluate@frozen#3",
            "report",
        ])
        XCTAssertEqual(plan.seeds, [1, 2, 3])
        let second = try plan.stage("finetune@frozen#2")
        XCTAssertEqual(second.seed, 2)
        XCTAssertEqual(second.group, "finetune@frozen")
        XCTAssertEqual(second.parameters["seed"], .int(2), "the copy's seed is its seed parameter, so it is in the key")
        XCTAssertEqual(second.inputs.map(\.stage), ["freeze@frozen", "prep"])
        XCTAssertEqual(try plan.stage("evaluate@frozen#2").inputs.map(\.stage), ["finetune@frozen#2", "prep"])
        XCTAssertEqual(try plan.stage("report").inputs.map(\.stage), [
            "evaluate@scratch#1", "evaluate@scratch#2", "evaluate@scratch#3",
            "evaluate@frozen#1", "evaluate@frozen#2", "evaluate@frozen#3",
        ])
        XCTAssertEqual(try plan.stage("pretrain").parameters["seed"], .int(5), "pretraining is shared and keeps the pipeline seed")
        XCTAssertEqual(try plan.stages(named: "finetune@frozen").map(\.name),
                       ["finetune@frozen#1", "finetune@frozen#2", "finetune@frozen#3"], "--force of a variant's copy: every seed")
        XCTAssertEqual(try plan.stages(named: "finetune").count, 6)
        XCTAssertEqual(try plan.stages(named: "finetune@frozen#3").map(\.name), ["finetune@frozen#3"])
    }

    func testAddingASeedChangesNoOtherCopy() throws {
        let three = try plan("seeds: [1, 2, 3]"), four = try plan("seeds: [1, 2, 3]", overrides: ["seeds=[1,2,3,4]"])
        XCTAssertEqual(four.stages.count, three.stages.count + 4)
        for stage in three.stages where stage.kind != .report {
            let same = try four.stage(stage.name)
            XCTAssertEqual(same.parameters, stage.parameters, stage.name)
            XCTAssertEqual(same.inputs, stage.inputs, stage.name)
        }
    }

    func testRepeatsCountUpFromThePipelineSeedAndVariantsMayHaveTheirOwn() throws {
        let plan = try plan("repeats: 2", variants: """
              scratch: { init: random }
              frozen: { freeze: backbone, head: study-frozen, seeds: [7, 9, 11] }

            """)
        XCTAssertEqual(plan.stages.filter { $0.template == "finetune" }.map(\.name),
                       ["finetune@scratch#5", "finetune@scratch#6", "finetune@frozen#7", "finetune@frozen#9", "finetune@frozen#11"])
        XCTAssertEqual(plan.seeds, [5, 6, 7, 9, 11])
        let overridden = try self.plan("repeats: 2", overrides: ["variants.frozen.repeats=1", "repeats=3"])
        XCTAssertEqual(overridden.stages.filter { $0.template == "evaluate" }.map(\.name),
                       ["evaluate@scratch#5", "evaluate@scratch#6", "evaluate@scratch#7", "evaluate@frozen#5"])
    }

    func testPerSeedPretrainingCopiesEverythingAfterIt() throws {
        let plan = try plan("seeds: [1, 2]\nper_seed: [pretrain, finetune]")
        XCTAssertEqual(plan.stages.map(\.name).prefix(8), [
            "data", "prep", "pretrain#1", "pretrain#2", "freeze@scratch#1", "freeze@scratch#2",
            "finetune@scratch#1", "finetune@scratch#2",
        ])
        XCTAssertEqual(try plan.stage("pretrain#2").parameters["seed"], .int(2))
        XCTAssertEqual(try plan.stage("freeze@frozen#2").inputs.map(\.stage), ["pretrain#2", "prep"])
        XCTAssertEqual(try plan.stage("finetune@frozen#2").inputs.map(\.stage), ["freeze@frozen#2", "prep"])
        XCTAssertEqual(try plan.stage("prep").parameters["seed"], .int(5))
    }

    func testWithoutVariantsSeedsStillCopy() throws {
        let single = Fixtures.tiny.components(separatedBy: "variants:")[0]
            .replacingOccurrences(of: "seed: 5\n", with: "seed: 5\nrepeats: 2\n")
        let plan = try PipelinePlan(yaml: single, file: "t.yaml")
        XCTAssertEqual(plan.stages.map(\.name),
                       ["data", "prep", "pretrain", "freeze", "finetune#5", "finetune#6", "evaluate#5", "evaluate#6", "report"])
    }

    func testMistakesAreReportedWhereTheyAreWritten() {
        func errors(_ top: String, variants: String? = nil, overrides: [String] = []) -> [String] {
            do {
                _ = try plan(top, variants: variants, overrides: overrides)
                return []
            } catch {
                return (error as? PipelineError)?.all.map(\.description) ?? ["\(error)"]
            }
        }
        XCTAssertEqual(errors("seeds: [1, 2]\nrepeats: 3"),
                       ["t.yaml:4:1: the pipeline gives both seeds and repeats; give one of them"])
        XCTAssertEqual(errors("seeds: [1, 1]"),
                       ["t.yaml:3:8: 'seeds' is [1, 1], expected a non-empty list of distinct seeds in 0...2147483647, like [1, 2, 3]"])
        XCTAssertEqual(errors("repeats: 0"), ["t.yaml:3:10: 'repeats' is 0, expected an integer in 1...1000"])
        XCTAssertEqual(errors("seeds: [1]\nper_seed: [pretrian, evaluate]"), [
            "t.yaml:4:12: per_seed names 'pretrian', which does not exist (did you mean 'pretrain'?); stages: data, prep, "
                + "pretrain, freeze, finetune, evaluate, report",
            "t.yaml:4:22: per_seed names 'evaluate', whose kind, evaluate, has no seed parameter; name stages of kind "
                + "download, preprocess, pretrain, fine-tune",
        ])
        XCTAssertEqual(errors("per_seed: [finetune]"), ["t.yaml:3:1: a pipeline with per_seed has no 'seeds'; add it"])
        XCTAssertEqual(errors("seeds: [1]", overrides: ["finetune.seed=4"]), [
            "-S finetune.seed=4: stage 'finetune' sets seed, but the pipeline repeats it over seeds (seeds: or repeats:), "
                + "which set each copy's seed; remove this seed or the stage from per_seed",
        ])
        XCTAssertEqual(errors("per_seed: [pretrain]", variants: """
              scratch: { init: random, seeds: [1, 2] }
              frozen: { freeze: backbone }

            """), [
            "t.yaml:3:1: per_seed names 'pretrain', which every variant shares, but variant frozen has no seeds; give the "
                + "pipeline seeds (seeds: or repeats:) so every variant runs them",
        ])
    }

    func testListingsShowASeedsCopiesOnOneLine() throws {
        let plan = try plan("seeds: [1, 2, 3]")
        XCTAssertEqual(plan.renderDAG(.text), """
            tiny: 18 stages, variants scratch, frozen, seeds 1, 2, 3
            data [download]
              prep [preprocess] ← raw: data
                pretrain [pretrain] ← data: prep
                  freeze@scratch [freeze] ← backbone: pretrain; data: prep
                    finetune@scratch#{1,2,3} [fine-tune] ← backbone: freeze@scratch; data: prep
                      evaluate@scratch#{1,2,3} [evaluate] ← model: finetune@scratch#{1,2,3}; data: prep
                  freeze@frozen [freeze] ← backbone: pretrain; data: prep
                    finetune@frozen#{1,2,3} [fine-tune] ← backbone: freeze@frozen; data: prep
                      evaluate@frozen#{1,2,3} [evaluate] ← model: finetune@frozen#{1,2,3}; data: prep
                        report [report] ← evaluations: evaluate@scratch#{1,2,3}, evaluate@frozen#{1,2,3}

            """)
        let mermaid = plan.renderDAG(.mermaid)
        XCTAssertTrue(mermaid.contains("s5[\"finetune@scratch#35;{1,2,3}<br/>fine-tune\"]"), mermaid)
        XCTAssertTrue(mermaid.contains("  s5 -->|model| s6\n"), mermaid)
        XCTAssertEqual(mermaid.components(separatedBy: "-->|evaluations|").count - 1, 2, "one edge per group, not per seed")
        XCTAssertTrue(plan.renderDAG(.dot).contains("\"finetune@frozen\" -> \"evaluate@frozen\" [label=\"model\"];"))
        XCTAssertThrowsError(try plan.stage("finetune@frozen#4")) {
            XCTAssertTrue("\($0)".hasSuffix("stages: data, prep, pretrain, freeze@scratch, finetune@scratch#{1,2,3}, "
                + "evaluate@scratch#{1,2,3}, freeze@frozen, finetune@frozen#{1,2,3}, evaluate@frozen#{1,2,3}, report"), "\($0)")
        }
        XCTAssertEqual(StageNaming.split("finetune@frozen#12").group, "finetune@frozen")
        XCTAssertEqual(StageNaming.split("finetune@frozen#12").seed, 12)
        XCTAssertNil(StageNaming.split("finetune@frozen").seed)
    }
}
