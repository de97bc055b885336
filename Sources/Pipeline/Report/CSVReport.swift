// results.csv: the comparison table for machines (RFC 4180, `.` decimals, no grouping, one header line).
import Foundation

enum CSVReport {
    static let header = [
        "variant", "init", "frozen", "head", "trainable_parameters", "total_parameters", "epochs_run",
        "best_epoch", "test_accuracy", "test_loss", "training_seconds", "seconds_per_epoch", "speed_up",
        "inference_images_per_second", "study_accuracy", "study_loss", "study_training_seconds",
    ]

    /// Study columns are always present (empty when there is no figure) so every pipeline's CSV has
    /// the same columns; accuracies are fractions, as in the values.
    static func render(_ report: ComparisonReport) -> String {
        let fixed = ReportNumberText.fixed
        let rows = report.variants.map { v -> [String] in
            let study = report.studyFigures[v.name]
            return [v.name, v.initialization.rawValue, v.frozenPart.description, v.head,
                    String(v.trainableParameters), String(v.totalParameters), String(v.epochsRun),
                    String(v.bestEpoch), fixed(v.testAccuracy, 6), fixed(v.testLoss, 6),
                    fixed(v.trainingSeconds, 3), v.secondsPerEpoch.map { fixed($0, 3) } ?? "",
                    report.speedUp(of: v).map { fixed($0, 3) } ?? "", fixed(v.inferenceImagesPerSecond, 1),
                    study?.accuracy.map { fixed($0, 6) } ?? "", study?.loss.map { fixed($0, 6) } ?? "",
                    study?.trainingSeconds.map { fixed($0, 3) } ?? ""]
        }
        // Records end in LF rather than RFC 4180's CRLF: a stray CR would end up in the last field for
        // cut, awk and friends, while CSV readers accept either.
        return ([header] + rows).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }

    /// A field quoted when it holds a separator, quote or line break, with quotes doubled.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
