// Why a comparison report could not be rendered or written.
import Foundation

/// A report input that cannot be rendered faithfully, or a report file that could not be written.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case noVariants
    case duplicateVariant(String)
    case noRuns(variant: String)
    case duplicateSeed(variant: String, seed: Int, backbone: Int?)
    case notFinite(variant: String, seed: Int, field: String, value: Double)
    case selectedEpochOutOfRange(variant: String, seed: Int, selectedEpoch: Int, epochsRun: Int)
    case confusionShape(variant: String, classes: Int, rows: [Int])
    case classesDiffer(variant: String, classes: [String], expected: [String])
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .noVariants:
            return "report: no variants to compare; the pipeline needs at least one fine-tune/evaluate variant"
        case .duplicateVariant(let name):
            return "report: variant '\(name)' appears twice; variant names must be unique"
        case .noRuns(let variant):
            return "report: variant '\(variant)' has no seed's result; every variant needs at least one"
        case .duplicateSeed(let variant, let seed, let backbone):
            let on = backbone.map { " on backbone \($0)" } ?? ""
            return "report: variant '\(variant)' has seed \(seed)\(on) twice; each seed's result appears once\(backbone == nil ? "" : " per backbone")"
        case .notFinite(let variant, let seed, let field, let value):
            return "report: variant '\(variant)', seed \(seed) has \(field) = \(value); it must be a finite number"
        case .selectedEpochOutOfRange(let variant, let seed, let selected, let run):
            return "report: variant '\(variant)', seed \(seed) has selected epoch \(selected) but ran \(run) epochs; "
                + "the selected epoch must be in 1...\(run) (or 0 when no epoch ran)"
        case .confusionShape(let variant, let classes, let rows):
            return "report: variant '\(variant)' has \(classes) class names but a confusion matrix with "
                + "row lengths \(rows); it must be \(classes) rows of \(classes) counts"
        case .classesDiffer(let variant, let classes, let expected):
            return "report: variant '\(variant)' was evaluated on classes \(classes) but the first variant on "
                + "\(expected); all variants must share one test set"
        case .cannotWrite(let path, let reason):
            return "report: cannot write \(path): \(reason)"
        }
    }
}
