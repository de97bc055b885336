import XCTest
@testable import Store

final class MediaTypeTests: XCTestCase {
    func testRawValuesAreStableMIMETypes() {
        XCTAssertEqual(MediaType.tensor.rawValue, "application/vnd.safetensors")
        XCTAssertEqual(MediaType(rawValue: "text/csv"), .csv)
        XCTAssertEqual(MediaType(rawValue: "image/svg+xml"), .svg)
        XCTAssertEqual(Set(MediaType.allCases.map(\.rawValue)).count, MediaType.allCases.count)
        XCTAssertTrue(MediaType.markdown.isText)
        XCTAssertFalse(MediaType.raw.isText)
    }
}
