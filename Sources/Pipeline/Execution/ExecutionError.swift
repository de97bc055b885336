// Errors of running a pipeline as a whole (a single stage's failure is recorded, not thrown).

/// A run or report regeneration that cannot start: what is missing and where.
public enum ExecutionError: Error, Equatable, CustomStringConvertible {
    /// No finished report stage for `pipeline` (in run `runID` when given) in the store's lineage.
    case noReport(pipeline: String, runID: Int64?, store: String)
    /// Run `runID` is of another pipeline.
    case runOfOtherPipeline(runID: Int64, pipeline: String, expected: String)
    /// The report model of run `runID` is not one this tlab reads (an older format).
    case unreadableReport(runID: Int64, reason: String)
    /// A stage's scratch folder could not be created or locked.
    case scratch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .noReport(pipeline, runID, store):
            let which = runID.map { "run \($0) of " } ?? ""
            return "no finished report stage for \(which)pipeline '\(pipeline)' in \(store); run the pipeline first (tlab run)"
        case let .runOfOtherPipeline(runID, pipeline, expected):
            return "run \(runID) is of pipeline '\(pipeline)', not '\(expected)'; list runs with tlab runs"
        case let .unreadableReport(runID, reason):
            return "the report of run \(runID) was recorded in a format this tlab does not read (\(reason)); run the "
                + "pipeline again to record it in the current one (tlab run)"
        case let .scratch(path, reason):
            return "cannot create the stage's scratch folder \(path): \(reason); check free space and permissions of the"
                + " temporary folder (TMPDIR)"
        }
    }
}
