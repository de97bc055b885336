// Reports from lineage alone: the report stage records the report model it rendered (report.json),
// so the same files can be rendered again at any time without training or reading anything else.
import Foundation
import Reporting
import Store

extension PipelineStore {
    /// The report files (name → content) of `pipeline`'s run `runID`, or of its latest run with a
    /// finished report stage: rendered from the `report.json` that run's report stage recorded,
    /// byte-identical to what the run wrote. Reads lineage and one blob; trains nothing.
    public func regenerateReport(pipeline: String, runID: Int64? = nil) throws -> [String: String] {
        let runs: [RunRecord]
        if let runID {
            guard let run = try lineage.run(id: runID) else { throw ExecutionError.noReport(pipeline: pipeline, runID: runID, store: root.path) }
            guard run.pipeline == pipeline else {
                throw ExecutionError.runOfOtherPipeline(runID: runID, pipeline: run.pipeline, expected: pipeline)
            }
            runs = [run]
        } else {
            runs = try lineage.runs().filter { $0.pipeline == pipeline }
        }
        for run in runs {
            let reports = try lineage.stageRuns(ofRun: run.id!).filter { $0.kind == StageKind.report.rawValue && $0.status == .finished }
            guard let report = reports.last, let detail = try lineage.stageRun(id: report.id!),
                  let hash = detail.outputs[ReportStage.modelOutput] else { continue }
            let data = try blobs.read(hash)
            let model: ComparisonReport
            do {
                model = try decodeJSON(ComparisonReport.self, from: data)
            } catch DecodingError.keyNotFound(let key, let context) {
                let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
                throw ExecutionError.unreadableReport(runID: run.id!, reason: "it has no field \(path)")
            } catch let error as DecodingError {
                throw ExecutionError.unreadableReport(runID: run.id!, reason: "\(error)")
            }
            return try ReportWriter.render(model)
        }
        throw ExecutionError.noReport(pipeline: pipeline, runID: runID, store: root.path)
    }
}
