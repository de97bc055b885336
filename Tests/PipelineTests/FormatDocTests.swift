// docs/pipeline-format.md documents every parameter of every stage kind, so it cannot fall behind
// the schemas.
import XCTest
@testable import Pipeline

final class FormatDocTests: XCTestCase {
    func testEveryParameterIsDocumentedUnderItsKind() throws {
        let doc = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/pipeline-format.md"), encoding: .utf8)
        let sections = doc.components(separatedBy: "\n### ").dropFirst()
        for kind in StageKind.allCases {
            guard let section = sections.first(where: { $0.hasPrefix(kind.rawValue + "\n") }) else {
                XCTFail("no section '### \(kind.rawValue)'")
                continue
            }
            let documented = section.components(separatedBy: "\n").filter { $0.hasPrefix("| `") }
                .map { $0.components(separatedBy: "`")[1] }
            XCTAssertEqual(documented, kind.schema.parameters.map(\.name), kind.rawValue)
        }
    }
}
