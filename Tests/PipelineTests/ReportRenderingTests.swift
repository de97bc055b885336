// The comparison report rendered from a fixed set of evaluations: golden files, determinism, a CSV
// that reads back to the values, atomic writes, and inputs the renderer refuses.
import Foundation
import XCTest
@testable import Pipeline

final class ReportRenderingTests: XCTestCase {
    /// Golden files live in Tests/Golden/report, outside any target so SwiftPM does not ask to declare
    /// them as resources; `TLAB_UPDATE_GOLDEN=1 swift test` rewrites them after an intended change
    /// (review the diff, and look at the SVGs rendered, before committing).
    private let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Golden/report")

    func testRenderedFilesMatchTheGoldenFiles() throws {
        let files = try ReportWriter.render(ReportFixture.report())
        if ProcessInfo.processInfo.environment["TLAB_UPDATE_GOLDEN"] == "1" {
            try ReportWriter.write(files: files, to: goldenDirectory)
        }
        let goldenNames = try FileManager.default.contentsOfDirectory(atPath: goldenDirectory.path)
            .filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(files.keys.sorted(), goldenNames)
        for (name, contents) in files {
            let golden = try String(contentsOf: goldenDirectory.appendingPathComponent(name), encoding: .utf8)
            XCTAssertEqual(contents, golden, "\(name) differs from its golden file; if the change is intended, "
                + "rerun with TLAB_UPDATE_GOLDEN=1 and review the diff")
        }
    }

    func testSameValuesGiveByteIdenticalFiles() throws {
        let report = ReportFixture.report()
        let decoded = try JSONDecoder().decode(ComparisonReport.self, from: JSONEncoder().encode(report))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(try ReportWriter.render(report), try ReportWriter.render(decoded))
    }

    func testMarkdownShowsTheTableStudyFiguresAndProvenance() throws {
        let markdown = try XCTUnwrap(ReportWriter.render(ReportFixture.report())[ReportWriter.markdownFile])
        XCTAssertTrue(markdown.contains("| frozen | pretrained | backbone |"))
        // 168.4 s against 6.3 s: the frozen head trained 26.7 times faster than scratch.
        XCTAssertTrue(markdown.contains("| 6.3 s | 315 ms | 26.7\u{00D7} |"))
        XCTAssertTrue(markdown.contains("| frozen | transfer (frozen) |"))
        XCTAssertTrue(markdown.contains("| 92.72 % | 0.2581 | 0.3367 | 6.3 s | 44.1 min |"))
        XCTAssertTrue(markdown.contains("```mermaid\nflowchart TD\n"))
        XCTAssertTrue(markdown.contains("- Run date: 2026-11-29T12:00:00Z"))
        XCTAssertTrue(markdown.contains("| fine-tune/scratch | fine-tune | `0b9c7d31` | computed | 2.8 min |"))

        let withoutStudy = try XCTUnwrap(
            ReportWriter.render(ReportFixture.report(studyFigures: [:]))[ReportWriter.markdownFile])
        XCTAssertFalse(withoutStudy.contains("study"))
    }

    func testCSVReadsBackToTheReportedNumbers() throws {
        let report = ReportFixture.report()
        let csv = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.csvFile])
        let records = try parseCSV(csv)
        XCTAssertEqual(records.first, CSVReport.header)
        XCTAssertEqual(records.count, report.variants.count + 1)
        for (record, variant) in zip(records.dropFirst(), report.variants) {
            let row = Dictionary(uniqueKeysWithValues: zip(CSVReport.header, record))
            XCTAssertEqual(row["variant"], variant.name)
            XCTAssertEqual(row["head"], variant.head, "a head with commas must survive quoting")
            XCTAssertEqual(row["total_parameters"].flatMap { Int($0) }, variant.totalParameters)
            XCTAssertEqual(try number(row["test_accuracy"]), variant.testAccuracy, accuracy: 5e-7)
            XCTAssertEqual(try number(row["test_loss"]), variant.testLoss, accuracy: 5e-7)
            XCTAssertEqual(try number(row["training_seconds"]), variant.trainingSeconds, accuracy: 5e-4)
            let study = report.studyFigures[variant.name]
            XCTAssertEqual(row["study_accuracy"], study?.accuracy.map { ReportNumberText.fixed($0, 6) } ?? "")
        }
        XCTAssertEqual(try number(records[1][CSVReport.header.firstIndex(of: "speed_up")!]), 1, accuracy: 1e-9)
    }

    func testPrecisionAndRecallComeFromTheCounts() throws {
        // Nothing was predicted as "bag", and the test set holds no "shirt".
        let matrix = ConfusionMatrix(classNames: ["sandal", "shirt", "bag"], counts: [[8, 0, 0], [0, 0, 0], [2, 1, 0]])
        XCTAssertEqual(matrix.precision(ofClass: 0), 0.8)
        XCTAssertEqual(matrix.recall(ofClass: 0), 1)
        XCTAssertNil(matrix.precision(ofClass: 2))
        XCTAssertNil(matrix.recall(ofClass: 1))
        var report = ReportFixture.report()
        for index in report.variants.indices { report.variants[index].confusion = matrix }
        let markdown = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile])
        XCTAssertTrue(markdown.contains("| bag | \u{2014} / 0.0 % |"), markdown)
        XCTAssertTrue(markdown.contains("| shirt | 0.0 % / \u{2014} |"), markdown)
    }

    func testQuotesAndLineBreaksInFieldsAreQuoted() throws {
        XCTAssertEqual(CSVReport.field("linear"), "linear")
        XCTAssertEqual(CSVReport.field("Dense(256, relu)"), "\"Dense(256, relu)\"")
        XCTAssertEqual(CSVReport.field("the \"optimized\" head"), "\"the \"\"optimized\"\" head\"")
        XCTAssertEqual(try parseCSV("a,\"b\nc\",\"d\"\"\"\n"), [["a", "b\nc", "d\""]])
    }

    func testWritingReplacesFilesAndLeavesNoTemporaries() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("report-write-\(UUID().uuidString)")
        let directory = scratch.appendingPathComponent("reports/fashion-transfer")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let report = ReportFixture.report()
        try ReportWriter.write(report, to: directory)
        var single = report
        single.variants = [report.variants[0]]
        let written = try ReportWriter.write(single, to: directory)

        XCTAssertEqual(written.map(\.lastPathComponent), try ReportWriter.render(single).keys.sorted())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       try ReportWriter.render(single).keys.sorted())
        for (name, contents) in try ReportWriter.render(single) {
            XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(name)), Data(contents.utf8))
        }
    }

    func testFileNamesThatLeaveTheFolderAreRefused() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("report-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let directory = scratch.appendingPathComponent("reports/x")
        for name in ["../escape.md", "sub/report.md", "..", ".hidden", ""] {
            XCTAssertThrowsError(try ReportWriter.write(files: ["report.md": "ok", name: "bad"], to: directory), name) {
                XCTAssertTrue("\($0)".contains("is not a plain file name"), "\($0)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("reports/escape.md").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [],
                       "nothing is written when one name is refused")
    }

    func testInputsThatCannotBeRenderedAreRefusedByName() throws {
        var report = ReportFixture.report()
        report.variants = []
        XCTAssertThrowsError(try ReportWriter.render(report)) { XCTAssertEqual($0 as? ReportError, .noVariants) }

        report = ReportFixture.report()
        report.variants.append(report.variants[1])
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual($0 as? ReportError, .duplicateVariant("basic"))
        }

        report = ReportFixture.report()
        report.variants[2].bestEpoch = 11
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual("\($0)", "report: variant 'optimized' has best epoch 11 but ran 10 epochs; "
                + "the best epoch must be in 1...10 (or 0 when no epoch ran)")
        }

        report = ReportFixture.report()
        report.variants[3].curves[4].validationLoss = .nan
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertTrue("\($0)".contains("'frozen' has epoch 5 validationLoss = nan"), "\($0)")
        }

        report = ReportFixture.report()
        report.variants[0].confusion.counts[2].removeLast()
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual($0 as? ReportError, .confusionShape(variant: "scratch", classes: 5, rows: [5, 5, 4, 5, 5]))
        }

        report = ReportFixture.report()
        report.variants[1].confusion.classNames[0] = "t-shirt"
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertTrue("\($0)".hasPrefix("report: variant 'basic' was evaluated on classes [\"t-shirt\""), "\($0)")
        }
    }

    private func number(_ field: String?) throws -> Double {
        try XCTUnwrap(field.flatMap(Double.init), "not a number: \(field ?? "missing")")
    }
}

/// An RFC 4180 reader, independent of the writer, so the CSV test checks the format and not the code.
private func parseCSV(_ text: String) throws -> [[String]] {
    var records: [[String]] = [], record: [String] = [], field = ""
    var quoted = false, afterQuote = false
    for character in text {
        if quoted {
            if character == "\"" { quoted = false; afterQuote = true } else { field.append(character) }
            continue
        }
        switch character {
        case "\"" where afterQuote: field.append("\""); quoted = true; afterQuote = false
        case "\"" where field.isEmpty: quoted = true
        case ",": record.append(field); field = ""; afterQuote = false
        case "\n": record.append(field); records.append(record); record = []; field = ""; afterQuote = false
        default:
            guard !afterQuote else { throw CSVSyntaxError(text: "text after a closing quote: \(character)") }
            field.append(character)
        }
    }
    guard record.isEmpty, field.isEmpty, !quoted else {
        throw CSVSyntaxError(text: "the last record is not terminated")
    }
    return records
}

private struct CSVSyntaxError: Error { let text: String }
