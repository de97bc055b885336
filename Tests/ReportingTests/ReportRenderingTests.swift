// The comparison report rendered from a fixed set of evaluations: golden files, determinism, a CSV
// that reads back to the values, atomic writes, and inputs the renderer refuses.
import Foundation
@testable import Reporting
import XCTest
import TestSupport

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

    func testMarkdownShowsTheSummaryStudyFiguresAndProvenance() throws {
        let markdown = try XCTUnwrap(ReportWriter.render(ReportFixture.report())[ReportWriter.markdownFile])
        XCTAssertTrue(markdown.contains("| frozen | pretrained | backbone |"))
        // Mean times: scratch 173.5 s over its 3 seeds, frozen 6.68 s over its 5: 26.0 times faster.
        XCTAssertTrue(markdown.contains("| 6.7 s (6.3 s\u{2013}7.0 s) | 26.0\u{00D7} |"), markdown)
        XCTAssertTrue(markdown.contains("| frozen | transfer (frozen) | 91.04 % | 92.72 % |"))
        XCTAssertTrue(markdown.contains("```mermaid\nflowchart TD\n"))
        XCTAssertTrue(markdown.contains("- Run date: 2026-11-29T12:00:00Z"))
        XCTAssertTrue(markdown.contains("| finetune@scratch#{1,2} | fine-tune | 2 keys | computed | 5.7 min |"),
                      "seed copies that ran alike share a row")
        XCTAssertTrue(markdown.contains("| finetune@scratch#3 | fine-tune | `2d7e5f53` | hit | 10 ms |"))
        XCTAssertTrue(markdown.contains("| frozen | 5 | 20 | 15 | 90.72 % | 90.32 % |"), "every seed has its row")

        let withoutStudy = try XCTUnwrap(
            ReportWriter.render(ReportFixture.report(studyFigures: [:]))[ReportWriter.markdownFile])
        XCTAssertFalse(withoutStudy.contains("study"))
    }

    func testProvenanceListsTheRecipeChecksWarningsAndWhatWasAcknowledged() throws {
        var report = ReportFixture.report()
        report.provenance.recipeWarnings = [
            RecipeWarning(rule: .smallBatch, stages: ["finetune@basic"], finding: "trains BatchNorm on batches as small as 2 images",
                          fix: "last_batch: drop or merge"),
            RecipeWarning(rule: .testSelectsEpochs, stages: ["finetune@frozen"], finding: "validates on the test set",
                          fix: "a validation_fraction above 0", accepted: true),
        ]
        let markdown = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile])
        XCTAssertTrue(markdown.contains("""
            Recipe check (`tlab check`):
            - **Warning:** small-batch in finetune@basic: trains BatchNorm on batches as small as 2 images. Fix: last_batch: drop or merge.
            - Acknowledged in the pipeline (`accept_warnings`): test-selects-epochs in finetune@frozen: validates on the test set. Fix: a validation_fraction above 0.
            """), markdown)
        report.provenance.recipeWarnings = []
        XCTAssertTrue(try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile]).contains("Recipe check (`tlab check`): no warnings."))
    }

    func testWithOneBackboneTheReportSaysItsIntervalsAreConditionalOnIt() throws {
        var report = ReportFixture.report()
        XCTAssertFalse(try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile]).contains("backbone;"))
        report.backbones = 1
        XCTAssertTrue(try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile]).contains(
            "the seeds vary fine-tuning only, so the intervals and comparisons are conditional on that backbone;"))
    }

    func testSeedTableNamesTheEpochsThatTiedWithTheSelectedOne() throws {
        var report = ReportFixture.report()
        report.variants[0].runs[0].tiedEpochs = [4, 9, 11]
        report.variants[0].runs[0].selectedEpoch = 9
        let markdown = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile])
        let seed = report.variants[0].runs[0].seed
        XCTAssertTrue(markdown.contains("| \(report.variants[0].name) | \(seed) | \(report.variants[0].runs[0].epochsRun) | 9 (tied: 4, 9, 11) |"), markdown)
        let results = try XCTUnwrap(ReportWriter.render(report)[CSVReport.resultsFile]).split(separator: "\n")
        let column = try XCTUnwrap(CSVReport.resultsHeader.firstIndex(of: "tied_epochs"))
        XCTAssertEqual(results[1].split(separator: ",", omittingEmptySubsequences: false)[column], "4 9 11",
                       "results.csv lists the tied epochs too")
        XCTAssertEqual(results[2].split(separator: ",", omittingEmptySubsequences: false)[column], "",
                       "empty where none were recorded")
    }

    func testComparisonsSayWhatTheSeedsShowAndWhatTheyCannot() throws {
        func variant(_ name: String, _ accuracies: [Double]) -> VariantResult {
            var v = ReportFixture.variants[1]
            v.name = name
            v.runs = accuracies.enumerated().map { k, accuracy in
                var run = ReportFixture.variants[1].runs[0]
                (run.seed, run.testAccuracy) = (k + 1, accuracy)
                return run
            }
            return v
        }
        var report = ReportFixture.report(studyFigures: [:])
        report.variants = [variant("trained", [0.91, 0.90, 0.92, 0.91, 0.905]),
                           variant("untrained", [0.61, 0.58, 0.63, 0.60, 0.59]),
                           variant("twin", [0.61, 0.58, 0.63, 0.60, 0.59])]
        let markdown = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile])
        // scipy.stats.ttest_rel([91, 90, 92, 91, 90.5], [61, 58, 63, 60, 59]): t 57.0, p 5.7e-7, and
        // .confidence_interval(0.95) 29.20 to 32.20; the sign-flip test's floor with 5 seeds is 2/32.
        XCTAssertTrue(markdown.contains("- **trained** beats **untrained** by 30.70 points (95 % CI 29.20 to 32.20; "
            + "paired t-test p < 0.001, Holm-adjusted p < 0.001; sign-flip p = 0.063; 5 seeds)."), markdown)
        XCTAssertTrue(markdown.contains("- **untrained** and **twin** gave the same test accuracy on every one of their "
            + "5 seeds: the data cannot tell them apart."), markdown)
        XCTAssertTrue(markdown.contains("| untrained \u{2212} twin | 5 | 0.00 | 0.00 to 0.00 | \u{2014} | 1.00 | 1.00 | 1.00 | identical |"),
                      markdown)

        report.variants = [variant("a", [0.91, 0.88, 0.90]), variant("b", [0.90, 0.89, 0.88])]
        let close = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile])
        // scipy.stats.ttest_rel([91, 88, 90], [90, 89, 88]): p 0.53, confidence_interval(0.95) -3.13 to 4.46.
        XCTAssertTrue(close.contains("- The data cannot tell **a** and **b** apart: a is ahead by 0.67 points (95 % CI "
            + "-3.13 to 4.46; paired t-test p = 0.53, Holm-adjusted p = 0.53; sign-flip p = 0.75; 3 seeds)."), close)
    }

    func testCSVsReadBackToTheReportedNumbers() throws {
        let report = ReportFixture.report()
        let files = try ReportWriter.render(report)
        let results = try parseCSV(try XCTUnwrap(files[CSVReport.resultsFile]))
        XCTAssertEqual(results.first, CSVReport.resultsHeader)
        let runs = report.variants.flatMap { v in v.runs.map { (v, $0) } }
        XCTAssertEqual(results.count, runs.count + 1, "one row per variant and seed")
        for (record, (variant, run)) in zip(results.dropFirst(), runs) {
            let row = Dictionary(uniqueKeysWithValues: zip(CSVReport.resultsHeader, record))
            XCTAssertEqual(row["variant"], variant.name)
            XCTAssertEqual(row["seed"], String(run.seed))
            XCTAssertEqual(row["head"], variant.head, "a head with commas must survive quoting")
            XCTAssertEqual(row["total_parameters"].flatMap { Int($0) }, variant.totalParameters)
            XCTAssertEqual(row["selected_epoch"], String(run.selectedEpoch))
            XCTAssertEqual(try number(row["test_accuracy"]), run.testAccuracy, accuracy: 5e-7)
            XCTAssertEqual(try number(row["last_epoch_test_accuracy"]), run.lastEpochTestAccuracy, accuracy: 5e-7)
            XCTAssertEqual(try number(row["test_loss"]), run.testLoss, accuracy: 5e-7)
            XCTAssertEqual(try number(row["training_seconds"]), run.trainingSeconds, accuracy: 5e-4)
        }

        let summary = try parseCSV(try XCTUnwrap(files[CSVReport.summaryFile]))
        XCTAssertEqual(summary.first, CSVReport.summaryHeader)
        XCTAssertEqual(summary.count, report.variants.count + 1, "one row per variant")
        for (record, variant) in zip(summary.dropFirst(), report.variants) {
            let row = Dictionary(uniqueKeysWithValues: zip(CSVReport.summaryHeader, record))
            XCTAssertEqual(row["seeds"], String(variant.runs.count))
            let mean = variant.runs.map(\.testAccuracy).reduce(0, +) / Double(variant.runs.count)
            XCTAssertEqual(try number(row["test_accuracy_mean"]), mean, accuracy: 5e-7)
            let (low, high) = (try number(row["test_accuracy_ci_low"]), try number(row["test_accuracy_ci_high"]))
            XCTAssertEqual((low + high) / 2, mean, accuracy: 1e-6, "the interval is centred on the mean")
            XCTAssertGreaterThan(high - low, 0)
            let study = report.studyFigures[variant.name]
            XCTAssertEqual(row["study_accuracy"], study?.accuracy.map { ReportNumberText.fixed($0, 6) } ?? "")
        }
        XCTAssertEqual(try number(summary[1][CSVReport.summaryHeader.firstIndex(of: "speed_up")!]), 1, accuracy: 1e-9,
                       "scratch is the slowest")

        let comparisons = try parseCSV(try XCTUnwrap(files[CSVReport.comparisonsFile]))
        XCTAssertEqual(comparisons.first, CSVReport.comparisonsHeader)
        XCTAssertEqual(comparisons.count, 6 + 1, "every pair of the four variants")
        let basicFrozen = Dictionary(uniqueKeysWithValues: zip(CSVReport.comparisonsHeader,
                                                               try XCTUnwrap(comparisons.first { $0[0] == "basic" && $0[1] == "frozen" })))
        XCTAssertEqual(basicFrozen["seeds"], "1 2 3", "frozen's seeds 4 and 5 have no basic partner")
        let differences = (0..<3).map { 100 * (report.variants[1].runs[$0].testAccuracy - report.variants[3].runs[$0].testAccuracy) }
        XCTAssertEqual(try number(basicFrozen["mean_difference_points"]), differences.reduce(0, +) / 3, accuracy: 5e-5)
    }

    func testPrecisionAndRecallComeFromTheCounts() throws {
        // Nothing was predicted as "bag", and the test set holds no "shirt".
        let matrix = ConfusionMatrix(classNames: ["sandal", "shirt", "bag"], counts: [[8, 0, 0], [0, 0, 0], [2, 1, 0]])
        XCTAssertEqual(matrix.precision(ofClass: 0), 0.8)
        XCTAssertEqual(matrix.recall(ofClass: 0), 1)
        XCTAssertNil(matrix.precision(ofClass: 2))
        XCTAssertNil(matrix.recall(ofClass: 1))
        var report = ReportFixture.report()
        for index in report.variants.indices {
            for seed in report.variants[index].runs.indices { report.variants[index].runs[seed].confusion = matrix }
        }
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
        report.variants[2].runs[1].selectedEpoch = 11
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual("\($0)", "report: variant 'optimized', seed 2 has selected epoch 11 but ran 10 epochs; "
                + "the selected epoch must be in 1...10 (or 0 when no epoch ran)")
        }

        report = ReportFixture.report()
        report.variants[3].runs[4].curves[4].validationLoss = .nan
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertTrue("\($0)".contains("'frozen', seed 5 has epoch 5 validationLoss = nan"), "\($0)")
        }

        report = ReportFixture.report()
        report.variants[0].runs[0].confusion.counts[2].removeLast()
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual($0 as? ReportError, .confusionShape(variant: "scratch", classes: 5, rows: [5, 5, 4, 5, 5]))
        }

        report = ReportFixture.report()
        report.variants[1].runs.append(report.variants[1].runs[0])
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual($0 as? ReportError, .duplicateSeed(variant: "basic", seed: 1, backbone: nil))
        }

        report = ReportFixture.report()
        report.variants[2].runs = []
        XCTAssertThrowsError(try ReportWriter.render(report)) { XCTAssertEqual($0 as? ReportError, .noRuns(variant: "optimized")) }
        report = ReportFixture.report()
        report.variants[0].runs = []
        XCTAssertThrowsError(try ReportWriter.render(report)) {
            XCTAssertEqual($0 as? ReportError, .noRuns(variant: report.variants[0].name))
        }

        report = ReportFixture.report()
        report.variants[1].runs[2].confusion.classNames[0] = "t-shirt"
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
