// report.md: the comparison table, the study's figures beside ours, links to the charts, confusion
// matrices, per-class precision/recall, per-epoch curves, the DAG and where every number came from.
import Foundation

enum MarkdownReport {
    private typealias Text = ReportNumberText

    static func render(_ report: ComparisonReport) -> String {
        var sections = ["# " + (report.title ?? "Comparison report: \(report.provenance.pipelineName)"),
                        "Run of \(Text.isoDate(report.provenance.runDate)), seed \(report.provenance.seed), "
                            + "\(report.variants.count) variant\(report.variants.count == 1 ? "" : "s").",
                        "## Results", resultsTable(report)]
        if let study = studyTable(report) { sections += ["## Beside the study's figures", study] }
        if let skipped = report.skippedImages, !skipped.isEmpty {
            sections += ["## Data", "\(skipped.count) image\(skipped.count == 1 ? "" : "s") of the image folder could not be decoded "
                            + "and \(skipped.count == 1 ? "was" : "were") left out (`skip_bad_images: true`):",
                         skipped.map { "- `\($0.file)`: \($0.reason)" }.joined(separator: "\n")]
        }
        sections += ["## Charts", charts,
                     "## Confusion matrices", "Rows are the true class, columns the predicted class."]
        sections += report.variants.flatMap { ["### \($0.name)", confusionTable($0.confusion)] }
        sections += ["## Per-class precision and recall",
                     "Each cell is precision / recall on the test set; \u{2014} where a class was never "
                        + "predicted or never present.",
                     precisionRecallTable(report.variants)]
        sections += ["## Per-epoch curves"] + report.variants.map(epochTable)
        sections += ["## Pipeline", "```mermaid\n\(report.dagMermaid.trimmedTrailingNewlines)\n```"]
        sections += ["## Provenance", provenanceList(report.provenance), stageTable(report.provenance.stages)]
        return sections.joined(separator: "\n\n") + "\n"
    }

    private static func resultsTable(_ report: ComparisonReport) -> String {
        let header = ["variant", "init", "frozen", "head", "trainable params", "total params", "epochs",
                      "best epoch", "test accuracy", "test loss", "training time", "time / epoch", "speed-up",
                      "inference"]
        let rows = report.variants.map { v in
            [v.name, v.initialization.rawValue, v.frozenPart.description, v.head,
             Text.grouped(v.trainableParameters), Text.grouped(v.totalParameters), String(v.epochsRun),
             String(v.bestEpoch), Text.percent(v.testAccuracy), Text.fixed(v.testLoss, 4),
             Text.duration(v.trainingSeconds), v.secondsPerEpoch.map(Text.duration) ?? "\u{2014}",
             report.speedUp(of: v).map { Text.fixed($0, 1) + "\u{00D7}" } ?? "\u{2014}",
             Text.fixed(v.inferenceImagesPerSecond, 0) + " img/s"]
        }
        return table(header: header, rightAligned: Set(4...13), rows: rows)
    }

    /// Nil when no variant has a study figure, so reports of other pipelines carry no empty section.
    private static func studyTable(_ report: ComparisonReport) -> String? {
        let matched = report.variants.compactMap { v in report.studyFigures[v.name].map { (v, $0) } }
        guard !matched.isEmpty else { return nil }
        let dash = "\u{2014}"
        let rows = matched.map { v, study in
            [v.name, study.model, Text.percent(v.testAccuracy), study.accuracy.map { Text.percent($0) } ?? dash,
             Text.fixed(v.testLoss, 4), study.loss.map { Text.fixed($0, 4) } ?? dash,
             Text.duration(v.trainingSeconds), study.trainingSeconds.map(Text.duration) ?? dash]
        }
        let note = "Study figures as published, measured on the data the study validated with; "
            + "\(dash) where it gave none."
        return table(header: ["variant", "study model", "accuracy", "study accuracy", "loss", "study loss",
                              "training time", "study training time"],
                     rightAligned: Set(2...7), rows: rows) + "\n\n" + note
    }

    private static let charts = [
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
        let classes = variants[0].confusion.classNames
        let rows = classes.indices.map { c in
            [classes[c]] + variants.map { v in
                let precision = v.confusion.precision(ofClass: c).map { Text.percent($0, decimals: 1) }
                let recall = v.confusion.recall(ofClass: c).map { Text.percent($0, decimals: 1) }
                return "\(precision ?? "\u{2014}") / \(recall ?? "\u{2014}")"
            }
        }
        return table(header: ["class"] + variants.map(\.name), rightAligned: Set(1...variants.count), rows: rows)
    }

    private static func epochTable(_ variant: VariantResult) -> String {
        let title = "### \(variant.name)"
        guard !variant.curves.isEmpty else { return title + "\n\nNo per-epoch curves recorded." }
        let rows = variant.curves.map { r in
            [r.epoch == variant.bestEpoch ? "**\(r.epoch)** (best)" : String(r.epoch),
             Text.percent(r.trainAccuracy), Text.fixed(r.trainLoss, 4),
             Text.percent(r.validationAccuracy), Text.fixed(r.validationLoss, 4), Text.scientific(r.learningRate)]
        }
        return title + "\n\n" + table(header: ["epoch", "train accuracy", "train loss", "validation accuracy",
                                               "validation loss", "learning rate"],
                                      rightAligned: Set(0...5), rows: rows)
    }

    private static func provenanceList(_ p: Provenance) -> String {
        [
            "- Pipeline: \(p.pipelineName), file SHA-256 `\(p.pipelineFileHash)`",
            "- Run date: \(Text.isoDate(p.runDate))",
            "- Seed: \(p.seed)",
            "- Versions: tlab \(p.toolVersion), engine \(p.engineVersion)",
            "- Machine: \(p.machine.cores) cores, \(p.machine.cpuModel), \(p.machine.operatingSystem)",
        ].joined(separator: "\n")
    }

    private static func stageTable(_ stages: [StageProvenance]) -> String {
        let rows = stages.map { s in
            [s.name, s.kind.rawValue, "`\(s.keyPrefix)`", s.cache.rawValue, Text.duration(s.seconds)]
        }
        return table(header: ["stage", "kind", "key", "cache", "time"], rightAligned: [4], rows: rows)
    }

    private static func table(header: [String], rightAligned: Set<Int>, rows: [[String]]) -> String {
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
