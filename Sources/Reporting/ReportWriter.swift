// The report's entry points: render every file from the values, and write them into a directory so a
// reader never sees a half-written file.
import Foundation

/// Renders a `ComparisonReport` into `report.md`, three CSV files (per seed, per variant, per pair of
/// variants) and four SVG charts.
public enum ReportWriter {
    public static let markdownFile = "report.md"

    /// Every report file by name. The same report always gives byte-identical files.
    public static func render(_ report: ComparisonReport) throws -> [String: String] {
        try report.validate()
        let statistics = ReportStatistics(report)
        return [
            markdownFile: MarkdownReport.render(report, statistics),
            CSVReport.resultsFile: CSVReport.results(report),
            CSVReport.summaryFile: CSVReport.summary(report, statistics),
            CSVReport.comparisonsFile: CSVReport.comparisons(statistics),
            ReportCharts.testAccuracyFile: ReportCharts.testAccuracy(statistics),
            ReportCharts.validationAccuracyFile: ReportCharts.validationAccuracy(report),
            ReportCharts.validationLossFile: ReportCharts.validationLoss(report),
            ReportCharts.accuracyVersusTimeFile: ReportCharts.accuracyVersusTime(statistics),
        ]
    }

    /// Renders `report` and writes its files into `directory` (created if missing), each through a
    /// temporary file renamed over the old one. Returns the URLs written, sorted by name.
    @discardableResult
    public static func write(_ report: ComparisonReport, to directory: URL) throws -> [URL] {
        try write(files: render(report), to: directory)
    }

    /// Writes rendered `files` into `directory`. `report.md` goes last, so a reader who finds the new
    /// Markdown also finds the charts and CSV it refers to.
    @discardableResult
    public static func write(files: [String: String], to directory: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError.cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        // Names come from lineage, which another store's user may have written: each must name a
        // file inside `directory`, never a path out of it.
        for name in files.keys where !isPlainFileName(name) {
            throw ReportError.cannotWrite(path: directory.appendingPathComponent(name).path,
                                          reason: "'\(name)' is not a plain file name (no '/', no leading '.')")
        }
        let names = files.keys.sorted { ($0 == markdownFile ? 1 : 0, $0) < ($1 == markdownFile ? 1 : 0, $1) }
        var written: [URL] = []
        for name in names {
            let target = directory.appendingPathComponent(name)
            // A unique name, so two writers of one directory never share a temporary file.
            let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
            do {
                try Data(files[name]!.utf8).write(to: temporary)
            } catch {
                throw ReportError.cannotWrite(path: temporary.path, reason: error.localizedDescription)
            }
            guard rename(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw ReportError.cannotWrite(path: target.path, reason: reason)
            }
            written.append(target)
        }
        return written.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// A name that stays in its folder: not empty, no separator, not hidden (so not `.` or `..`).
func isPlainFileName(_ name: String) -> Bool {
    !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
}
