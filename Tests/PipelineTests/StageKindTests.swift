import XCTest
@testable import Pipeline

final class StageKindTests: XCTestCase {
    func testEightKinds() {
        XCTAssertEqual(StageKind.allCases.map(\.rawValue),
                       ["download", "preprocess", "pretrain", "freeze", "fine-tune", "evaluate", "export", "report"])
    }
}
