// The charts and their axes at the edges: one epoch, one variant, flat values, missing curves,
// times that call for a log axis, and names that need escaping in SVG.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Reporting

final class ReportChartTests: XCTestCase {
    func testLinearTicksStepByOneTwoOrFive() {
        let scale = ChartScale.linear(covering: [81.3, 93.9], pixels: (400, 50), padding: 0.05, bounds: 0...100)
        XCTAssertEqual(scale.ticks, [80, 85, 90, 95])
        XCTAssertEqual(scale.pixel(80), 400)
        XCTAssertEqual(scale.pixel(95), 50)
        XCTAssertEqual(ChartScale.niceStep(0.23), 0.5)
        XCTAssertEqual(ChartScale.niceStep(17), 20)
        XCTAssertEqual(ChartScale.linear(covering: [0.12, 0.61], pixels: (0, 1)).ticks.map { $0.tickLabelled(0.1) },
                       ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"])
    }

    func testAFlatRangeOrASingleEpochStillGetsDistinctTicks() {
        let flat = ChartScale.linear(covering: [90, 90, 90], pixels: (400, 50), bounds: 0...100)
        XCTAssertEqual(flat.ticks, [84, 86, 88, 90, 92, 94, 96])
        let oneEpoch = ChartScale.linear(covering: [1], pixels: (0, 600), bounds: 0...Double.infinity, minimumStep: 1)
        XCTAssertEqual(oneEpoch.ticks, [0, 1, 2])
        XCTAssertEqual(oneEpoch.pixel(1), 300)
    }

    func testLogTicksFollowOneTwoFive() {
        let scale = ChartScale.logarithmic(covering: [6.3, 168.4], pixels: (0, 100))
        XCTAssertEqual(scale.ticks.map(scale.tickLabel), ["5", "10", "20", "50", "100", "200", "500"])
        XCTAssertEqual(scale.pixel(10) - scale.pixel(5), scale.pixel(100) - scale.pixel(50), accuracy: 1e-9)
        let wide = ChartScale.logarithmic(covering: [0.02, 3000], pixels: (0, 100))
        XCTAssertEqual(wide.ticks.map(wide.tickLabel), ["0.01", "0.1", "1", "10", "100", "1000"])
    }

    func testAccuracyAgainstTimeGoesLogarithmicOnlyBeyondTenfold() throws {
        let report = ReportFixture.report()
        XCTAssertTrue(ReportCharts.accuracyVersusTime(ReportStatistics(report)).contains("Training time (min, log scale)"))
        var close = report
        close.variants = report.variants.filter { $0.name != "frozen" }
        let linear = ReportCharts.accuracyVersusTime(ReportStatistics(close))
        XCTAssertTrue(linear.contains("Training time (min)</text>"))
        XCTAssertTrue(linear.contains(">0</text>"), "a linear time axis starts at zero so lengths compare")
    }

    func testASingleVariantWithOneEpochDrawsAMarkerAndNoLine() throws {
        var variant = ReportFixture.variants[3]
        variant.runs = [variant.runs[0]]
        variant.runs[0].epochsRun = 1
        variant.runs[0].selectedEpoch = 1
        variant.runs[0].curves = [variant.runs[0].curves[0]]
        var report = ReportFixture.report()
        report.variants = [variant]
        let files = try ReportWriter.render(report)
        let accuracy = try XCTUnwrap(files[ReportCharts.validationAccuracyFile])
        XCTAssertFalse(accuracy.contains("<polyline"))
        XCTAssertEqual(accuracy.components(separatedBy: "<circle").count - 1, 2,
                       "one marker at epoch 1 and one in the legend")
        XCTAssertTrue(try XCTUnwrap(files[ReportWriter.markdownFile]).contains("| 1.0\u{00D7} |"))
        try assertWellFormed(files)
    }

    func testMissingCurvesAreSaidNotHidden() throws {
        var report = ReportFixture.report()
        for seed in report.variants[1].runs.indices { report.variants[1].runs[seed].curves = [] }
        var files = try ReportWriter.render(report)
        XCTAssertTrue(try XCTUnwrap(files[ReportCharts.validationLossFile]).contains(">basic (no data)</text>"))
        XCTAssertTrue(try XCTUnwrap(files[ReportWriter.markdownFile])
            .contains("### basic\n\nNo per-epoch curves recorded."))

        for index in report.variants.indices {
            for seed in report.variants[index].runs.indices { report.variants[index].runs[seed].curves = [] }
        }
        files = try ReportWriter.render(report)
        XCTAssertTrue(try XCTUnwrap(files[ReportCharts.validationAccuracyFile])
            .contains(">No per-epoch curves recorded<"))
        try assertWellFormed(files)
    }

    func testEqualValuesAndEqualTimesRenderWithoutNonNumbers() throws {
        var report = ReportFixture.report()
        for index in report.variants.indices {
            for seed in report.variants[index].runs.indices {
                report.variants[index].runs[seed].trainingSeconds = 60
                report.variants[index].runs[seed].testAccuracy = 0.9
                for epoch in report.variants[index].runs[seed].curves.indices {
                    report.variants[index].runs[seed].curves[epoch].validationLoss = 0.25
                }
            }
        }
        let files = try ReportWriter.render(report)
        for (name, contents) in files where name.hasSuffix(".svg") {
            XCTAssertFalse(contents.contains("nan") || contents.contains("n/a") || contents.contains("inf"), name)
        }
        XCTAssertFalse(try XCTUnwrap(files[ReportCharts.accuracyVersusTimeFile]).contains("log scale"))
        try assertWellFormed(files)
    }

    func testNamesWithMarkupAreEscaped() throws {
        var report = ReportFixture.report()
        report.variants[0].name = "scratch <b>&</b> \"random\""
        let files = try ReportWriter.render(report)
        XCTAssertTrue(try XCTUnwrap(files[ReportCharts.validationAccuracyFile])
            .contains("scratch &lt;b&gt;&amp;&lt;/b&gt; &quot;random&quot;"))
        try assertWellFormed(files)
    }

    private func assertWellFormed(_ files: [String: String], file: StaticString = #filePath,
                                  line: UInt = #line) throws {
        for (name, contents) in files where name.hasSuffix(".svg") {
            let parser = XMLParser(data: Data(contents.utf8))
            XCTAssertTrue(parser.parse(), "\(name) is not well-formed XML: \(String(describing: parser.parserError))",
                          file: file, line: line)
        }
    }
}

private extension Double {
    func tickLabelled(_ step: Double) -> String {
        ReportNumberText.fixed(self, step < 1 ? 1 : 0)
    }
}
