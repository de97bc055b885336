// Shared test fixtures: the package's paths, a small valid pipeline, and helpers that turn a plan
// into keys the way an executor would (each artifact hash derived from its producer's key).
import Foundation
import Store
import XCTest
@testable import Pipeline

enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func pipeline(_ name: String) -> String {
        packageRoot.appendingPathComponent("pipelines/\(name)").path
    }

    /// A file under Tests/Golden (outside the test target, so SwiftPM does not ask to bundle it).
    static func golden(_ name: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent("Tests/Golden/\(name)"), encoding: .utf8)
    }

    /// A three-stage pipeline with two variants, small enough to reason about positions.
    static let tiny = """
        name: tiny
        seed: 5
        stages:
          data: { kind: download, params: { source: synthetic } }
          prep:
            kind: preprocess
            inputs: { raw: data }
            params: { source_classes: [0, 1], target_classes: [2, 3] }
          pretrain: { kind: pretrain, inputs: { data: prep } }
          freeze: { kind: freeze, inputs: { backbone: pretrain, data: prep } }
          finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { lr: 0.001 } }
          evaluate: { kind: evaluate, inputs: { model: finetune, data: prep } }
          report: { kind: report, inputs: { evaluations: evaluate } }
        variants:
          scratch: { init: random }
          frozen: { freeze: backbone, head: study-frozen }

        """

    /// Every stage's key, feeding each stage the artifact "produced" by its inputs: a stand-in for
    /// a deterministic stage whose output hash is a function of its key.
    static func keys(of plan: PipelinePlan) -> [String: StageKey] {
        var keys = [String: StageKey]()
        for stage in plan.stages {
            var inputs = [String: InputArtifact]()
            for input in stage.inputs {
                let producer = keys[input.stage]!
                inputs["\(input.port)/\(input.stage)"] = InputArtifact(
                    stage: input.stage, hash: Digest.sha256Hex(Data(("output of " + producer.hex).utf8)))
            }
            keys[stage.name] = KeyMaterial(stage: stage, inputs: inputs).key
        }
        return keys
    }

    /// The description of every problem `yaml` has, one per element.
    static func problems(_ yaml: String, overrides: [String] = [], file: String = "p.yaml") -> [String] {
        do {
            _ = try PipelinePlan(yaml: yaml, file: file, overrides: overrides)
            return []
        } catch let error as PipelineError {
            return error.all.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }
}
