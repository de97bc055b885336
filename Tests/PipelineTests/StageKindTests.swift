// The stage-kind model: every registered kind declares its parameters once, its typed `Parameters`
// decode from them, the spellings round-trip, and the documentation's tables are the declarations.
import Engine
import Foundation
import XCTest
@testable import Pipeline
import TestSupport

final class StageKindTests: XCTestCase {
    func testEveryKindIsRegisteredOnceAndSpelledAsFilesSpellIt() {
        let names = StageKind.allCases.map(\.rawValue)
        XCTAssertEqual(names, ["download", "preprocess", "pretrain", "freeze", "fine-tune", "evaluate", "export", "report"])
        for kind in StageKind.allCases {
            XCTAssertEqual(StageKind(rawValue: kind.rawValue), kind)
            XCTAssertEqual(Set(kind.schema.parameters.map(\.name)).count, kind.schema.parameters.count, "\(kind): a name twice")
        }
        XCTAssertNil(StageKind(rawValue: "finetune"))
    }

    /// Decoding reads every property, so a property naming no parameter (a typo) fails here.
    func testEveryKindsParametersDecodeFromItsDefaults() {
        let required: [StageKind: [String: ParameterValue]] = [.download: ["source": .string("cifar10")]]
        for kind in StageKind.allCases {
            let values = kind.schema.resolved(required[kind] ?? [:], seed: 7)
            XCTAssertNoThrow(try kind.definition.decodeParameters(StageParameters(kind: kind, values: values)), "\(kind)")
        }
    }

    func testAPropertyNamingNoParameterIsAnErrorNotAbsent() {
        struct Misspelt: Decodable { let epochs: Int; let learningRate: Double? }
        let parameters = StageParameters(kind: .pretrain, values: PretrainStage.schema.resolved([:], seed: 0))
        XCTAssertThrowsError(try Misspelt(from: ParameterDecoder(parameters: parameters))) {
            XCTAssertTrue("\($0)".contains("pretrain stages have no parameter 'learning_rate'"), "\($0)")
        }
    }

    func testTypedValuesCarryTheFilesSpellings() throws {
        let plan = try PipelinePlan(yaml: Fixtures.tiny, file: "t.yaml",
                                    overrides: ["variants.frozen.freeze=up-to:denseblock2", "variants.frozen.monitor=val_loss"])
        let freeze = try plan.stage("freeze@frozen").parameters.decoded(as: FreezeStage.Parameters.self)
        XCTAssertEqual(freeze.freeze, .upTo("denseblock2"))
        let fineTune = try plan.stage("finetune@frozen").parameters.decoded(as: FineTuneStage.Parameters.self)
        XCTAssertEqual(fineTune.head, .studyFrozen)
        XCTAssertEqual(fineTune.monitor, .valLoss)
        XCTAssertEqual(fineTune.monitor.tieBreaker, .valAccuracy)
        XCTAssertEqual(fineTune.training.lr, 0.001)
        XCTAssertEqual(try plan.stage("finetune@scratch").parameters.decoded(as: FineTuneStage.Parameters.self).initialization, .random)
        for spelling in ["none", "backbone", "up-to:transition2"] {
            XCTAssertEqual(Freezing(spelling: spelling).spelling, spelling)
        }
        XCTAssertEqual(HeadPreset.studyOptimized.head(classes: 10, pooling: .avg), .studyOptimized(classes: 10))
        XCTAssertEqual(HeadPreset.linear.head(classes: 5, pooling: .max), .linear(classes: 5, pooling: .max))
    }

    /// docs/pipeline-format.md's parameter tables are rendered from the declarations; regenerate them
    /// with TLAB_UPDATE_GOLDEN=1.
    func testThePipelineFormatDocumentsEveryParameterAsDeclared() throws {
        let url = Fixtures.packageRoot.appendingPathComponent("docs/pipeline-format.md")
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        for kind in StageKind.allCases {
            guard let heading = lines.firstIndex(of: "### \(kind.rawValue)") else {
                XCTFail("docs/pipeline-format.md has no '### \(kind.rawValue)' section")
                continue
            }
            if kind.schema.parameters.isEmpty { continue }
            guard let start = lines[heading...].firstIndex(where: { $0.hasPrefix("| parameter |") }) else {
                XCTFail("docs/pipeline-format.md's '### \(kind.rawValue)' section has no parameter table")
                continue
            }
            let end = lines[start...].firstIndex(of: "") ?? lines.count
            let table = kind.schema.markdownTable.components(separatedBy: "\n")
            if ProcessInfo.processInfo.environment["TLAB_UPDATE_GOLDEN"] == "1" {
                lines.replaceSubrange(start..<end, with: table)
            } else {
                XCTAssertEqual(Array(lines[start..<end]), table, "the \(kind) table differs from the declarations")
            }
        }
        if ProcessInfo.processInfo.environment["TLAB_UPDATE_GOLDEN"] == "1" {
            try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        }
    }
}
