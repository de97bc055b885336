// Number, time and date text in reports: fixed decimals, no locale, no signed zeros.
import Foundation
@testable import Reporting
import XCTest

final class ReportNumberTextTests: XCTestCase {
    func testFixedDecimalsRoundHalfAwayFromZero() {
        XCTAssertEqual(ReportNumberText.fixed(86.59, 2), "86.59")
        XCTAssertEqual(ReportNumberText.fixed(0.125, 2), "0.13")
        XCTAssertEqual(ReportNumberText.fixed(-0.125, 2), "-0.13")
        XCTAssertEqual(ReportNumberText.fixed(-0.0001, 2), "0.00")
        XCTAssertEqual(ReportNumberText.fixed(1234567.5, 0), "1234568")
        XCTAssertEqual(ReportNumberText.fixed(.nan, 2), "n/a")
    }

    func testPercentagesDurationsAndCounts() {
        XCTAssertEqual(ReportNumberText.percent(0.9535), "95.35 %")
        XCTAssertEqual(ReportNumberText.duration(0.315), "315 ms")
        XCTAssertEqual(ReportNumberText.duration(12.34), "12.3 s")
        XCTAssertEqual(ReportNumberText.duration(246), "4.1 min")
        XCTAssertEqual(ReportNumberText.duration(139.5 * 60), "139.5 min")
        XCTAssertEqual(ReportNumberText.grouped(7_037_504), "7,037,504")
        XCTAssertEqual(ReportNumberText.grouped(504), "504")
    }

    func testLearningRatesInScientificNotation() {
        XCTAssertEqual(ReportNumberText.scientific(1e-3), "1.0e-3")
        XCTAssertEqual(ReportNumberText.scientific(3e-4), "3.0e-4")
        XCTAssertEqual(ReportNumberText.scientific(9.96e-4), "1.0e-3")
        XCTAssertEqual(ReportNumberText.scientific(0), "0")
    }

    func testDatesAreUTCWhateverTheProcessTimeZone() {
        XCTAssertEqual(ReportNumberText.isoDate(Date(timeIntervalSince1970: 1_795_953_600.9)), "2026-11-29T12:00:00Z")
    }
}
