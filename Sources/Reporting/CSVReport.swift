// The report's tables for machines (RFC 4180 quoting, `.` decimals, no grouping, one header line,
// accuracies as fractions): results.csv has one row per variant and seed (and backbone), summary.csv
// one per variant with means, standard deviations and 95 % intervals, comparisons.csv one per pair of
// variants. Columns added later come last, so readers indexing the older ones keep working.

enum CSVReport {
    static let resultsFile = "results.csv"
    static let summaryFile = "summary.csv"
    static let comparisonsFile = "comparisons.csv"

    private typealias Text = ReportNumberText

    static let resultsHeader = [
        "variant", "seed", "init", "frozen", "head", "trainable_parameters", "total_parameters", "epochs_run",
        "selected_epoch", "selected_on", "test_accuracy", "test_loss", "last_epoch_test_accuracy", "last_epoch_test_loss",
        "training_seconds", "seconds_per_epoch", "inference_images_per_second", "tied_epochs", "pretrain_seed",
    ]

    static func results(_ report: ComparisonReport) -> String {
        let fixed = Text.fixed
        let rows = report.variants.flatMap { v in
            v.runs.map { r -> [String] in
                [v.name, String(r.seed), v.initialization.rawValue, v.frozenPart.description, v.head,
                 String(v.trainableParameters), String(v.totalParameters), String(r.epochsRun), String(r.selectedEpoch),
                 r.selectedOn.rawValue, fixed(r.testAccuracy, 6), fixed(r.testLoss, 6), fixed(r.lastEpochTestAccuracy, 6),
                 fixed(r.lastEpochTestLoss, 6), fixed(r.trainingSeconds, 3), r.secondsPerEpoch.map { fixed($0, 3) } ?? "",
                 fixed(r.inferenceImagesPerSecond, 1), r.tiedEpochs.map { $0.map(String.init).joined(separator: " ") } ?? "",
                 r.backbone.map(String.init) ?? ""]
            }
        }
        return render([resultsHeader] + rows)
    }

    /// Each measure as mean, sd, ci_low, ci_high (sd and interval empty for one seed).
    static let measures = ["test_accuracy", "last_epoch_test_accuracy", "test_loss", "training_seconds"]
    static let summaryHeader = ["variant", "init", "frozen", "head", "trainable_parameters", "total_parameters", "seeds"]
        + measures.flatMap { ["\($0)_mean", "\($0)_sd", "\($0)_ci_low", "\($0)_ci_high"] }
        + ["speed_up", "study_accuracy", "study_loss", "study_training_seconds", "backbones",
           "test_accuracy_between_backbone_sd", "test_accuracy_within_backbone_sd"]

    /// Study columns are always present (empty when there is no figure) so every pipeline's CSV has
    /// the same columns; so are the backbone columns (empty unless the variant stands on several
    /// backbones, whose figures are then over backbone means, with test accuracy's variance components
    /// as standard deviations).
    static func summary(_ report: ComparisonReport, _ statistics: ReportStatistics) -> String {
        let rows = statistics.variants.map { s -> [String] in
            let v = s.variant, study = report.studyFigures[v.name]
            let measured = [(s.accuracy, 6), (s.lastEpochAccuracy, 6), (s.loss, 6), (s.seconds, 3)].flatMap { summary, decimals in
                [Text.fixed(summary.mean, decimals), summary.standardDeviation.map { Text.fixed($0, decimals) } ?? "",
                 summary.interval.map { Text.fixed($0.low, decimals) } ?? "", summary.interval.map { Text.fixed($0.high, decimals) } ?? ""]
            }
            let described: [String] = [v.name, v.initialization.rawValue, v.frozenPart.description, v.head,
                                       String(v.trainableParameters), String(v.totalParameters), String(v.runs.count)]
            let compared: [String] = [statistics.speedUp(of: s).map { Text.fixed($0, 3) } ?? "",
                                      study?.accuracy.map { Text.fixed($0, 6) } ?? "", study?.loss.map { Text.fixed($0, 6) } ?? "",
                                      study?.trainingSeconds.map { Text.fixed($0, 3) } ?? ""]
            // Variance components in points², written as standard deviations in accuracy fractions.
            let sd = { (variance: Double?) in variance.map { Text.fixed($0.squareRoot() / 100, 6) } ?? "" }
            let nesting: [String] = [s.backbones.map(String.init).joined(separator: " "),
                                     sd(s.accuracyNesting?.betweenVariance), sd(s.accuracyNesting?.withinVariance)]
            return described + measured + compared + nesting
        }
        return render([summaryHeader] + rows)
    }

    static let comparisonsHeader = [
        "first", "second", "seeds", "mean_difference_points", "sd_points", "ci_low_points", "ci_high_points", "t",
        "p_t_test", "p_holm", "p_sign_flip", "significant", "pairing", "backbones",
    ]

    /// Differences are first − second in test accuracy, in percentage points; `pairing` says over what
    /// (seed, backbone, or none: Welch's t), `backbones` lists the backbones paired over.
    static func comparisons(_ statistics: ReportStatistics) -> String {
        let rows = statistics.comparisons.map { c -> [String] in
            let pairing = c.pairing == .bySeed ? "seed" : c.pairing == .byBackbone ? "backbone" : "none"
            return [c.first, c.second, c.seeds.map(String.init).joined(separator: " "), Text.fixed(c.mean, 4),
                    c.standardDeviation.map { Text.fixed($0, 4) } ?? "", c.interval.map { Text.fixed($0.low, 4) } ?? "",
                    c.interval.map { Text.fixed($0.high, 4) } ?? "", c.t.map { Text.fixed($0, 4) } ?? "",
                    c.p.map { Text.fixed($0, 6) } ?? "", c.adjustedP.map { Text.fixed($0, 6) } ?? "",
                    c.signFlipP.map { Text.fixed($0, 6) } ?? "", c.significant ? "true" : "false", pairing,
                    c.backbones.map(String.init).joined(separator: " ")]
        }
        return render([comparisonsHeader] + rows)
    }

    /// Records end in LF rather than RFC 4180's CRLF: a stray CR would end up in the last field for
    /// cut, awk and friends, while CSV readers accept either.
    private static func render(_ records: [[String]]) -> String {
        records.map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }

    /// A field quoted when it holds a separator, quote or line break, with quotes doubled.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
