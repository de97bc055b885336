// The results sections of report.md: what the figures are, the summary over seeds with intervals,
// warnings where an epoch was not selected on a validation split, every seed's figures, and the
// study's published figures beside our means.

enum MarkdownResults {
    private typealias Text = ReportNumberText
    private static let dash = MarkdownReport.dash

    static func explanation(_ report: ComparisonReport) -> String {
        "Test accuracy is that of the epoch each seed selected on its validation split (its best monitored "
            + "validation figure; among epochs tying on it, the one with the better other validation figure, loss "
            + "for accuracy), so the test set plays no part in choosing it; the last epoch's test accuracy "
            + "stands beside it. Figures are means over seeds with the 95 % Student-t confidence interval of the "
            + "mean in parentheses; sd is the standard deviation across seeds in percentage points. Training "
            + "times are measured, so they vary between identical runs." + backbones(report)
    }

    /// What the intervals are conditional on: with one pretraining run, that backbone; with
    /// fine-tuning seeds nested in several backbones, how the figures include both.
    private static func backbones(_ report: ComparisonReport) -> String {
        let nested = report.variants.filter { $0.backboneGroups.count > 1 }
        if let most = nested.map(\.backbones.count).max() {
            return " The pretrained variants stand on \(most) pretraining runs (backbones), each fine-tuned over the "
                + "seeds: for them the seeds are nested in backbones, so a figure is the mean of the backbone means, its "
                + "interval is Student's t over the backbone means (backbones − 1 degrees of freedom), which includes the "
                + "variance between backbones and within them, and sd is the standard deviation of the backbone means. With "
                + "few backbones these intervals are wide: they say how far another pretraining run could move a result. "
                + "A variant that does not start from a backbone's weights (random init) runs the same on every "
                + "backbone and is summarised over its seeds."
        }
        switch report.backbones {
        case 1?:
            return " Every pretrained variant stands on one pretraining run: the seeds vary fine-tuning only, so "
                + "the intervals and comparisons are conditional on that backbone; another pretraining run can move them."
        case let count? where count > 1:
            return " The variants stand on \(count) pretraining runs (backbones); seeds that share a backbone vary "
                + "fine-tuning only."
        default: return ""
        }
    }

    /// The summary: one row per variant.
    static func summaryTable(_ statistics: ReportStatistics) -> String {
        let header = ["variant", "init", "frozen", "head", "trainable params", "total params", "seeds",
                      "test accuracy (95 % CI)", "sd", "last-epoch test accuracy (95 % CI)", "test loss (95 % CI)",
                      "training time (95 % CI)", "speed-up"]
        let rows = statistics.variants.map { s -> [String] in
            let v = s.variant
            let runs = s.backbones.isEmpty ? String(v.runs.count) : "\(v.runs.count) (\(s.backbones.count) backbones)"
            return [v.name, v.initialization.rawValue, v.frozenPart.description, v.head,
                    Text.grouped(v.trainableParameters), Text.grouped(v.totalParameters), runs,
                    percentWithInterval(s.accuracy), s.accuracy.standardDeviation.map { Text.fixed(100 * $0, 2) } ?? dash,
                    percentWithInterval(s.lastEpochAccuracy),
                    withInterval(s.loss) { Text.fixed($0, 4) }, withInterval(s.seconds, Text.duration),
                    statistics.speedUp(of: s).map { Text.fixed($0, 1) + "\u{00D7}" } ?? dash]
        }
        return MarkdownReport.table(header: header, rightAligned: Set(4...12), rows: rows)
    }

    /// For variants nested in several backbones, test accuracy's variance split between and within
    /// backbones; nothing when no variant is.
    static func nestingTable(_ statistics: ReportStatistics) -> [String] {
        let nested = statistics.variants.filter { $0.accuracyNesting != nil }
        guard !nested.isEmpty else { return [] }
        let rows = nested.map { s -> [String] in
            let n = s.accuracyNesting!
            let sizes = Set(n.groupSizes).count == 1 ? String(n.groupSizes[0]) : n.groupSizes.map(String.init).joined(separator: ", ")
            let sd = { (variance: Double?) in variance.map { Text.fixed($0.squareRoot(), 2) } ?? dash }
            return [s.variant.name, MarkdownReport.seedList(s.backbones), sizes,
                    n.means.map { Text.fixed($0, 2) }.joined(separator: ", "), percentWithInterval(s.accuracy),
                    sd(n.betweenVariance), sd(n.withinVariance)]
        }
        let note = "Test accuracy over fine-tuning seeds nested in backbones, in points: each backbone's mean over its "
            + "seeds; the grand mean of those means with its 95 % interval (Student's t over the backbone means); and the "
            + "standard deviations of the one-way random-effects analysis of variance: between backbones "
            + "(√((MS between − MS within)/n), zero when the backbone means differ no more than the seeds predict) and "
            + "within (the seeds' pooled sd on one backbone)."
        return ["### Between and within backbones", note,
                MarkdownReport.table(header: ["variant", "backbones (pretraining seeds)", "seeds per backbone",
                                              "backbone means", "test accuracy (95 % CI)", "sd between backbones",
                                              "sd within backbones"],
                                     rightAligned: Set(2...6), rows: rows)]
    }

    /// A note for each variant some of whose seeds chose their epoch otherwise than on a validation split.
    static func selectionWarnings(_ report: ComparisonReport) -> [String] {
        report.variants.compactMap { v in
            let onTest = v.runs.filter { $0.selectedOn == .test }.map(\.seed)
            let last = v.runs.filter { $0.selectedOn == .last }.map(\.seed)
            var notes = [String]()
            if !onTest.isEmpty {
                notes.append("selected its epoch on the test set for seed\(onTest.count == 1 ? "" : "s") "
                    + "\(MarkdownReport.seedList(onTest)) (no validation split: validation_fraction 0), so its "
                    + "selected-epoch test accuracy is optimistic; its last-epoch figure is not")
            }
            if !last.isEmpty {
                notes.append("kept the last epoch for seed\(last.count == 1 ? "" : "s") \(MarkdownReport.seedList(last)) "
                    + "(restore_best: false), so both figures are the last epoch's")
            }
            return notes.isEmpty ? nil : "**Note:** \(v.name) " + notes.joined(separator: "; it ") + "."
        }
    }

    /// Every seed of every variant, with its backbone's pretraining seed when there are several.
    static func seedTable(_ report: ComparisonReport) -> String {
        let nested = report.variants.contains { $0.backboneGroups.count > 1 }
        let header = ["variant"] + (nested ? ["backbone"] : []) + ["seed", "epochs", "selected epoch", "test accuracy",
                      "last-epoch test accuracy", "test loss", "last-epoch test loss", "training time", "time / epoch", "inference"]
        let rows = report.variants.flatMap { v in
            v.runs.map { r -> [String] in
                let backbone: [String] = nested ? [r.backbone.map(String.init) ?? "any"] : []
                let figures: [String] = [String(r.seed), String(r.epochsRun), selection(r), Text.percent(r.testAccuracy),
                                         Text.percent(r.lastEpochTestAccuracy), Text.fixed(r.testLoss, 4),
                                         Text.fixed(r.lastEpochTestLoss, 4), Text.duration(r.trainingSeconds),
                                         r.secondsPerEpoch.map(Text.duration) ?? dash,
                                         Text.fixed(r.inferenceImagesPerSecond, 0) + " img/s"]
                return [v.name] + backbone + figures
            }
        }
        return MarkdownReport.table(header: header, rightAligned: Set(1...(nested ? 11 : 10)), rows: rows)
    }

    /// The selected epoch, and the epochs that tied with it on the monitored metric when there were others.
    static func selection(_ run: SeedResult) -> String {
        guard let tied = run.tiedEpochs, tied.count > 1 else { return String(run.selectedEpoch) }
        return "\(run.selectedEpoch) (tied: " + tied.map(String.init).joined(separator: ", ") + ")"
    }

    /// Nil when no variant has a study figure, so reports of other pipelines carry no empty section.
    static func studyTable(_ report: ComparisonReport, _ statistics: ReportStatistics) -> String? {
        let matched = statistics.variants.compactMap { s in report.studyFigures[s.variant.name].map { (s, $0) } }
        guard !matched.isEmpty else { return nil }
        let rows = matched.map { s, study in
            [s.variant.name, study.model, Text.percent(s.accuracy.mean), study.accuracy.map { Text.percent($0) } ?? dash,
             Text.fixed(s.loss.mean, 4), study.loss.map { Text.fixed($0, 4) } ?? dash,
             Text.duration(s.seconds.mean), study.trainingSeconds.map(Text.duration) ?? dash]
        }
        let note = "Ours are means over seeds. Study figures as published, measured on the data the study "
            + "validated with (one run each); \(dash) where it gave none."
        return MarkdownReport.table(header: ["variant", "study model", "accuracy", "study accuracy", "loss", "study loss",
                                             "training time", "study training time"],
                                    rightAligned: Set(2...7), rows: rows) + "\n\n" + note
    }

    /// "90.12 % (89.30–90.94)", or the mean alone for one seed.
    static func percentWithInterval(_ summary: SampleSummary) -> String {
        guard let interval = summary.interval else { return Text.percent(summary.mean) }
        return "\(Text.percent(summary.mean)) (\(Text.fixed(100 * interval.low, 2))\u{2013}\(Text.fixed(100 * interval.high, 2)))"
    }

    /// `format(mean)`, then the interval's ends in parentheses when there is one.
    static func withInterval(_ summary: SampleSummary, _ format: (Double) -> String) -> String {
        guard let interval = summary.interval else { return format(summary.mean) }
        return "\(format(summary.mean)) (\(format(interval.low))\u{2013}\(format(interval.high)))"
    }
}
