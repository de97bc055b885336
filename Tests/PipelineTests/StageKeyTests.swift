// Stage keys: files that mean the same give the same keys; a change moves exactly the keys of the
// changed stage and of what reads its outputs.
import Foundation
import Store
import XCTest
@testable import Pipeline

final class StageKeyTests: XCTestCase {
    /// `Fixtures.tiny` rewritten: block style, other key order, comments, explicit defaults, and
    /// numbers spelled differently.
    private let tinyRewritten = """
        # the same pipeline, written differently
        variants:
          frozen:
            head: study-frozen
            freeze: backbone
          scratch: { init: random, head: linear }
        seed: 5
        name: tiny
        stages:
          report:
            inputs: { evaluations: evaluate }
            kind: report
            params: { study: false }
          evaluate: { inputs: { data: prep, model: finetune }, kind: evaluate }
          finetune:
            kind: fine-tune
            params:
              lr: 1e-3
              epochs: 10
              optimizer: adam
              weight_decay: 0
              momentum: 9e-1
            inputs:
              data: prep
              backbone: freeze
          freeze: { kind: freeze, inputs: { data: prep, backbone: pretrain } }
          pretrain: { kind: pretrain, inputs: { data: prep }, params: { depth: 40, compression: 0.50 } }
          prep:
            kind: preprocess
            inputs: { raw: data }
            params: { target_classes: [2, 3], source_classes: [0, 1], validation_fraction: 1e-1 }
          data: { kind: download, params: { source: synthetic, images: 6_000 } }
        """

    func testFilesThatMeanTheSameGiveTheSameKeys() throws {
        let original = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "a.yaml"))
        let rewritten = Fixtures.keys(of: try PipelinePlan(yaml: tinyRewritten, file: "b.yaml"))
        XCTAssertEqual(original.count, 10)
        XCTAssertEqual(original, rewritten)
    }

    func testAParameterChangeMovesOnlyThatStageAndItsDescendants() throws {
        let base = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml"))
        let changed = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                                         overrides: ["variants.frozen.epochs=30"]))
        let moved = Set(base.keys.filter { base[$0] != changed[$0] })
        XCTAssertEqual(moved, ["finetune@frozen", "evaluate@frozen", "report"])
    }

    func testAnUpstreamChangeMovesEveryVariant() throws {
        let base = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml"))
        let changed = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: ["pretrain.epochs=3"]))
        XCTAssertEqual(Set(base.keys.filter { base[$0] == changed[$0] }), ["data", "prep"])
    }

    func testParametersOutsideTheKeyChangeNothing() throws {
        let base = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml"))
        let changed = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: [
            "data.mirror=http://127.0.0.1:8000/", "evaluate.batch=7", "finetune.checkpoint_every=5",
        ]))
        XCTAssertEqual(base, changed)
    }

    /// `last_batch` came after keys were recorded: at its default (`keep`, what training always did) it
    /// stays out of the key, so stored results stay valid; stated explicitly it means the same.
    func testLastBatchAtItsDefaultLeavesEveryKeyAsItWas() throws {
        let base = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml"))
        let explicit = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                                          overrides: ["pretrain.last_batch=keep", "finetune.last_batch=keep"]))
        XCTAssertEqual(base, explicit)
        let pretrain = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml").stage("pretrain")
        XCTAssertFalse(pretrain.parameters.keyed.contains { $0.name == "last_batch" })
        let dropping = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                                          overrides: ["variants.frozen.last_batch=drop"]))
        XCTAssertEqual(Set(base.keys.filter { base[$0] != dropping[$0] }), ["finetune@frozen", "evaluate@frozen", "report"])
        let merging = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                                         overrides: ["variants.frozen.last_batch=merge"]))
        XCTAssertNotEqual(merging["finetune@frozen"], dropping["finetune@frozen"])
    }

    /// `shards` came after keys were recorded: at 1 (each batch computed whole, as always) it stays out of the
    /// key; other values change the training stage's numerics, so its key and its descendants'.
    func testShardsAtOneLeavesEveryKeyAsItWas() throws {
        let base = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml"))
        let explicit = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                                          overrides: ["pretrain.shards=1", "finetune.shards=1"]))
        XCTAssertEqual(base, explicit)
        XCTAssertFalse(try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml").stage("pretrain").parameters.keyed
            .contains { $0.name == "shards" })
        let sharded = Fixtures.keys(of: try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                                         overrides: ["variants.frozen.shards=4"]))
        XCTAssertEqual(Set(base.keys.filter { base[$0] != sharded[$0] }), ["finetune@frozen", "evaluate@frozen", "report"])
    }

    func testKeyDependsOnVersionsAndInputContentButNotProducerName() throws {
        let stage = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml").stage("prep")
        let input = ["raw": InputArtifact(stage: "data", hash: String(repeating: "a", count: 64))]
        let key = KeyMaterial(stage: stage, inputs: input).key
        XCTAssertEqual(key.hex.count, 64)
        XCTAssertEqual(key.short, String(key.hex.prefix(12)))
        XCTAssertEqual(KeyMaterial(stage: stage, inputs: ["raw": InputArtifact(stage: "other", hash: input["raw"]!.hash)]).key, key)
        XCTAssertNotEqual(KeyMaterial(stage: stage, inputs: ["raw": InputArtifact(stage: "data", hash: String(repeating: "b", count: 64))]).key, key)
        XCTAssertNotEqual(KeyMaterial(stage: stage, inputs: ["input": input["raw"]!]).key, key)
        XCTAssertNotEqual(KeyMaterial(stage: stage, inputs: input, stageVersion: stage.kind.version + 1).key, key)
        XCTAssertNotEqual(KeyMaterial(stage: stage, inputs: input, engineVersion: StageKind.engineVersion + 1).key, key)
    }

    /// The encoding, spelled out independently: a change here invalidates every cache.
    func testEncodingIsLengthPrefixedAndTyped() {
        let material = KeyMaterial(kind: .fineTune, stageVersion: 2, engineVersion: 3,
                                   parameters: ["lr": .float(0.001), "epochs": .int(-1), "augment": .bool(true),
                                                "head": .string("linear"), "classes": .ints([5, 6])],
                                   inputs: ["e": InputArtifact(stage: "x", hash: "ab")])
        func u64(_ n: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } }
        func str(_ s: String) -> [UInt8] { u64(UInt64(s.utf8.count)) + Array(s.utf8) }
        func tag(_ c: Character) -> [UInt8] { [c.asciiValue!] }
        var bytes = str("transferlab.stage-key.v1") + str("fine-tune") + u64(2) + u64(3) + u64(5)
        bytes += str("augment") + tag("b") + [1]
        bytes += str("classes") + tag("l") + u64(2) + u64(5) + u64(6)
        bytes += str("epochs") + tag("i") + u64(UInt64.max)
        bytes += str("head") + tag("s") + str("linear")
        bytes += str("lr") + tag("f") + u64(0x3F50_624D_D2F1_A9FC)  // 0.001 as IEEE-754 binary64
        bytes += u64(1) + str("e") + str("ab")
        XCTAssertEqual(material.key.hex, Digest.sha256Hex(Data(bytes)))
    }

    func testNumbersNormalisedByType() throws {
        func key(_ lr: String) throws -> StageKey {
            let yaml = Fixtures.tiny.replacingOccurrences(of: "lr: 0.001", with: "lr: \(lr)")
            return Fixtures.keys(of: try PipelinePlan(yaml: yaml, file: "t.yaml"))["finetune@frozen"]!
        }
        XCTAssertEqual(try key("1e-3"), try key("0.001"))
        XCTAssertEqual(try key("1.0E-3"), try key("0.0010"))
        XCTAssertEqual(try key("1"), try key("1.0"))
        XCTAssertNotEqual(try key("0.001"), try key("0.0011"))
    }

    func testParametersJSONIsCanonical() throws {
        let stage = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml").stage("data")
        XCTAssertEqual(stage.parameters.json, #"{"image_size":32,"images":6000,"seed":0,"shard_mib":64,"source":"synthetic","test_fraction":0.2}"#)
        XCTAssertEqual(KeyMaterial(stage: stage, inputs: [:]).parametersJSON, stage.parameters.json)
    }
}
