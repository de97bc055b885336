import XCTest
@testable import Pipeline

final class StageKindTests: XCTestCase {
    func testSevenKinds() {
        XCTAssertEqual(StageKind.allCases.map(\.rawValue),
                       ["download", "preprocess", "pretrain", "freeze", "fine-tune", "evaluate", "report"])
    }
}
