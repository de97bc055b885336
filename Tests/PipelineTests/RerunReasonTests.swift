// Why a stage would run again, from the material recorded with its last run.
import XCTest
@testable import Pipeline

final class RerunReasonTests: XCTestCase {
    private func finetune(_ overrides: [String] = []) throws -> PlannedStage {
        try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml", overrides: overrides).stage("finetune@frozen")
    }

    private let inputs = [
        "backbone": InputArtifact(stage: "freeze@frozen", hash: String(repeating: "1", count: 64)),
        "data": InputArtifact(stage: "prep", hash: String(repeating: "2", count: 64)),
    ]

    func testRecordedMaterialReadsBackEqual() throws {
        let material = KeyMaterial(stage: try finetune(), inputs: inputs)
        let recorded = try KeyMaterial(json: material.json)
        XCTAssertEqual(recorded, material)
        XCTAssertEqual(recorded.key, material.key)
        XCTAssertEqual(material.changes(since: recorded), [])
    }

    func testNeverRun() throws {
        XCTAssertEqual(KeyMaterial(stage: try finetune(), inputs: inputs).changes(since: nil).map(\.description), ["never run"])
    }

    func testParameterAndInputChangesAreNamed() throws {
        let before = try KeyMaterial(json: KeyMaterial(stage: try finetune(), inputs: inputs).json)
        var changedInputs = inputs
        changedInputs["data"] = InputArtifact(stage: "prep", hash: String(repeating: "3", count: 64))
        let now = KeyMaterial(stage: try finetune(["finetune.lr=3e-4", "variants.frozen.label_smoothing=0.1"]), inputs: changedInputs)
        XCTAssertEqual(now.changes(since: before).map(\.description), [
            "parameter label_smoothing changed 0.0 → 0.1",
            "parameter lr changed 0.001 → 0.0003",
            "input data changed (stage prep produced a different artifact)",
        ])
    }

    func testAChangedURLIsShownWithoutItsQueryValues() {
        let reason = RerunReason.parameterChanged("url", from: .string("https://h.example/d.tar?token=abc"),
                                                  to: .string("https://h.example/d.tar?token=def&v=2"))
        XCTAssertFalse(reason.description.contains("abc") || reason.description.contains("def"), reason.description)
        XCTAssertTrue(reason.description.hasPrefix("parameter url changed "), reason.description)
        XCTAssertTrue(reason.description.contains("https://h.example/d.tar?token=***&v=***"), reason.description)
    }

    func testVersionChangesAndSchemaGrowth() throws {
        let current = KeyMaterial(stage: try finetune(), inputs: inputs)
        // A run recorded by older code: other versions, one parameter the schema no longer has and
        // one it did not have yet, an input since renamed, and lr as a bare integer.
        let old = current.json
            .replacingOccurrences(of: "\"engine\":\(StageKind.engineVersion)", with: "\"engine\":0")
            .replacingOccurrences(of: "\"version\":\(current.stageVersion)}", with: "\"version\":0}")
            .replacingOccurrences(of: "\"label_smoothing\":0.0,", with: "\"dropout\":0.2,")
            .replacingOccurrences(of: "\"lr\":0.001", with: "\"lr\":1")
            .replacingOccurrences(of: "\"backbone\":", with: "\"weights\":")
        XCTAssertEqual(current.changes(since: try KeyMaterial(json: old)).map(\.description), [
            "stage version changed 0 → \(current.stageVersion)",
            "engine version changed 0 → \(StageKind.engineVersion)",
            "parameter dropout removed (was 0.2)",
            "parameter label_smoothing added (0.0)",
            "parameter lr changed 1.0 → 0.001",
            "input backbone added (from stage freeze@frozen)",
            "input weights removed (was from stage freeze@frozen)",
        ])
    }

    func testUnreadableRecordsAreTypedErrors() {
        for json in ["not json", "[1]", #"{"kind":"train"}"#, #"{"kind":"report","version":1,"engine":1,"params":{"study":"yes"},"inputs":{}}"#] {
            XCTAssertThrowsError(try KeyMaterial(json: json)) { error in
                XCTAssertTrue(error is KeyRecordError, "\(json): \(error)")
            }
        }
    }
}
