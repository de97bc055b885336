// report.md: the summary over seeds with intervals, the paired comparisons in words, every seed's
// figures, the study's figures beside ours, the charts, pooled confusion matrices and per-class
// precision/recall, per-epoch curves averaged over seeds, the DAG and where every number came from.
import Foundation
import Store

enum MarkdownReport {
    typealias Text = ReportNumberText
    static let dash = "\u{2014}"

    static func render(_ report: ComparisonReport, _ statistics: ReportStatistics) -> String {
        var sections = ["# " + (report.title ?? "Comparison report: \(report.provenance.pipelineName)"),
                        headline(report), "## Results", MarkdownResults.explanation(report),
                        MarkdownResults.summaryTable(statistics)]
        sections += MarkdownResults.nestingTable(statistics)
        sections += MarkdownResults.selectionWarnings(report)
        sections += ["## Comparisons"] + MarkdownComparisons.render(statistics)
        sections += ["## Per seed", MarkdownResults.seedTable(report)]
        if let study = MarkdownResults.studyTable(report, statistics) { sections += ["## Beside the study's figures", study] }
        if let skipped = report.skippedImages, !skipped.isEmpty {
            sections += ["## Data", "\(skipped.count) image\(skipped.count == 1 ? "" : "s") of the image folder could not be decoded "
                            + "and \(skipped.count == 1 ? "was" : "were") left out (`skip_bad_images: true`):",
                         skipped.map { "- `\(printable($0.file))`: \(printable($0.reason))" }.joined(separator: "\n")]
        }
        sections += ["## Charts", charts,
                     "## Confusion matrices",
                     "Rows are the true class, columns the predicted class; the test predictions of every seed added up."]
        sections += report.variants.flatMap { ["### \($0.name)", confusionTable($0.pooledConfusion)] }
        sections += ["## Per-class precision and recall",
                     "Each cell is precision / recall on the test set, every seed's predictions pooled; \(dash) where a "
                        + "class was never predicted or never present.",
                     precisionRecallTable(report.variants)]
        sections += ["## Per-epoch curves",
                     "Means over the seeds that ran each epoch; validation accuracy with its standard deviation across seeds."]
        sections += report.variants.map(epochTable)
        sections += ["## Pipeline", "```mermaid\n\(report.dagMermaid.trimmedTrailingNewlines)\n```"]
        sections += ["## Provenance", provenanceList(report.provenance)]
        if let warnings = report.provenance.recipeWarnings { sections.append(recipeCheck(warnings)) }
        sections.append(stageTable(report.provenance.stages))
        return sections.joined(separator: "\n\n") + "\n"
    }

    private static func headline(_ report: ComparisonReport) -> String {
        let seedSets = Set(report.variants.map(\.seeds))
        let seeds: String
        if seedSets.count == 1, let only = seedSets.first {
            seeds = only.count == 1 ? "seed \(only[0])" : "\(only.count) seeds each (\(only.map(String.init).joined(separator: ", ")))"
        } else {
            seeds = "seeds " + report.variants.map { "\($0.name) \($0.seeds.map(String.init).joined(separator: ", "))" }
                .joined(separator: "; ")
        }
        let count = report.variants.count
        let backbones = report.variants.flatMap(\.backbones).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        let nesting = backbones.count > 1
            ? ", on \(backbones.count) backbones (pretraining seeds \(seedList(backbones)))" : ""
        return "Run of \(Text.isoDate(report.provenance.runDate)), pipeline seed \(report.provenance.seed): "
            + "\(count) variant\(count == 1 ? "" : "s"), \(seeds)\(nesting)."
    }

    private static let charts = [
        "![Test accuracy per variant](\(ReportCharts.testAccuracyFile))",
        "![Validation accuracy per epoch](\(ReportCharts.validationAccuracyFile))",
        "![Validation loss per epoch](\(ReportCharts.validationLossFile))",
        "![Test accuracy against training time](\(ReportCharts.accuracyVersusTimeFile))",
    ].joined(separator: "\n\n")

    private static func confusionTable(_ matrix: ConfusionMatrix) -> String {
        let rows = matrix.classNames.indices.map { t in
            ["**\(matrix.classNames[t])**"] + matrix.counts[t].map(String.init)
        }
        return table(header: ["true \\ predicted"] + matrix.classNames,
                     rightAligned: Set(1...max(1, matrix.classNames.count)), rows: rows)
    }

    private static func precisionRecallTable(_ variants: [VariantResult]) -> String {
        let pooled = variants.map(\.pooledConfusion)
        let classes = pooled[0].classNames
        let rows = classes.indices.map { c in
            [classes[c]] + pooled.map { matrix in
                let precision = matrix.precision(ofClass: c).map { Text.percent($0, decimals: 1) }
                let recall = matrix.recall(ofClass: c).map { Text.percent($0, decimals: 1) }
                return "\(precision ?? dash) / \(recall ?? dash)"
            }
        }
        return table(header: ["class"] + variants.map(\.name), rightAligned: Set(1...variants.count), rows: rows)
    }

    private static func epochTable(_ variant: VariantResult) -> String {
        let title = "### \(variant.name)"
        let epochs = EpochAverage.of(variant)
        guard !epochs.isEmpty else { return title + "\n\nNo per-epoch curves recorded." }
        let allSeeds = variant.runs.count
        let rows = epochs.map { e -> [String] in
            var validation = Text.percent(e.validationAccuracy.mean)
            if let sd = e.validationAccuracy.standardDeviation { validation += " ± " + Text.fixed(100 * sd, 2) }
            let lr = e.learningRate.low == e.learningRate.high ? Text.scientific(e.learningRate.low)
                : Text.scientific(e.learningRate.low) + "\u{2013}" + Text.scientific(e.learningRate.high)
            return [String(e.epoch), e.seeds.count == allSeeds ? "all" : seedList(e.seeds),
                    Text.percent(e.trainAccuracy.mean), Text.fixed(e.trainLoss.mean, 4), validation,
                    Text.fixed(e.validationLoss.mean, 4), lr, e.selectedBy.isEmpty ? "" : seedList(e.selectedBy)]
        }
        return title + "\n\n" + table(header: ["epoch", "seeds", "train accuracy", "train loss", "validation accuracy",
                                               "validation loss", "learning rate", "selected by seeds"],
                                      rightAligned: Set(0...6), rows: rows)
    }

    private static func provenanceList(_ p: Provenance) -> String {
        [
            "- Pipeline: \(p.pipelineName), file SHA-256 `\(p.pipelineFileHash)`",
            "- Run date: \(Text.isoDate(p.runDate))",
            "- Seed: \(p.seed)",
            "- Versions: tlab \(p.toolVersion), engine \(p.engineVersion)",
            p.dependencies.map { "- Built with: " + $0.map(\.description).joined(separator: ", ") },
            "- Machine: \(p.machine.cores) cores, \(p.machine.cpuModel), \(p.machine.operatingSystem)",
        ].compactMap { $0 }.joined(separator: "\n")
    }

    /// The recipe check's findings: warnings first, then those the pipeline acknowledged.
    static func recipeCheck(_ warnings: [RecipeWarning]) -> String {
        guard !warnings.isEmpty else { return "Recipe check (`tlab check`): no warnings." }
        let open = warnings.filter { !$0.accepted }, accepted = warnings.filter(\.accepted)
        var lines = ["Recipe check (`tlab check`):"]
        lines += open.map { "- **Warning:** \($0)" }
        lines += accepted.map { "- Acknowledged in the pipeline (`accept_warnings`): \($0)" }
        return lines.joined(separator: "\n")
    }

    /// One row per stage, a repeated stage's seed copies with the same outcome on one row.
    private static func stageTable(_ stages: [StageProvenance]) -> String {
        var rows = [(group: String, seeds: [Int], stage: StageProvenance, keys: [String], seconds: Double)]()
        for stage in stages {
            let (group, seed) = StageNaming.split(stage.name)
            if let seed, let last = rows.last, last.group == group, last.stage.cache == stage.cache {
                rows[rows.count - 1].seeds.append(seed)
                rows[rows.count - 1].keys.append(stage.keyPrefix)
                rows[rows.count - 1].seconds += stage.seconds
            } else {
                rows.append((group, seed.map { [$0] } ?? [], stage, [stage.keyPrefix], stage.seconds))
            }
        }
        let cells = rows.map { row in
            [StageNaming.label(group: row.group, seeds: row.seeds), row.stage.kind,
             row.keys.count == 1 ? "`\(row.keys[0])`" : "\(row.keys.count) keys", row.stage.cache.rawValue,
             Text.duration(row.seconds)]
        }
        return table(header: ["stage", "kind", "key", "cache", "time"], rightAligned: [4], rows: cells)
    }

    /// "1, 2, 3".
    static func seedList(_ seeds: [Int]) -> String { seeds.map(String.init).joined(separator: ", ") }

    static func table(header: [String], rightAligned: Set<Int>, rows: [[String]]) -> String {
        let rule = header.indices.map { rightAligned.contains($0) ? "--:" : "---" }
        return ([header, rule] + rows)
            .map { "| " + $0.map(cell).joined(separator: " | ") + " |" }
            .joined(separator: "\n")
    }

    /// Text safe inside a table cell: a `|` would end the cell and a newline the row.
    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

private extension String {
    var trimmedTrailingNewlines: String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
