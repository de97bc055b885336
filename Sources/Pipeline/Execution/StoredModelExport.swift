// `tlab export-model`'s work: find a trained model in a store (a fine-tune or export stage, or the one
// fine-tune stage of a run) and produce its ONNX file, the same bytes the export stage stores.
import Foundation
import Store

/// A stored model as an ONNX file.
public struct StoredModelExport {
    /// The stage run the model comes from.
    public let stage: String
    public let runID: Int64
    public let bytes: [UInt8]

    /// The model `target` names in `store`: a fine-tune or export stage's latest finished run (by
    /// stage name, `finetune@basic`), or a run (by number) holding exactly one fine-tune stage.
    public init(_ target: String, in store: PipelineStore) throws {
        let detail = try Self.stageRun(for: target, in: store.lineage)
        (stage, runID) = (detail.record.stage, detail.record.runID)
        bytes = try Self.onnx(of: detail, in: store)
    }

    /// The export stage's stored file, or the ONNX file of a fine-tune stage's selected weights.
    private static func onnx(of detail: StageRunDetail, in store: PipelineStore) throws -> [UInt8] {
        let stage = detail.record.stage
        func artifact(_ name: String) throws -> String {
            guard let hash = detail.outputs[name] ?? detail.inputs[name] else {
                throw ModelExportError.missingArtifact(stage: stage, artifact: name, available: detail.outputs.keys.sorted())
            }
            return hash
        }
        if detail.record.kind == StageKind.export.rawValue {
            return [UInt8](try store.blobs.read(artifact(ExportStage.onnxOutput)))
        }
        let recipe = try decodeJSON(ModelRecipe.self, from: store.blobs.read(artifact(FineTuneStage.architectureOutput)))
        let info = try decodeJSON(PreparedDataInfo.self, from: store.blobs.read(
            artifact(InputBinding.name(port: "data", producer: nil, output: PreprocessStage.infoOutput))))
        return try ONNXExport.file(recipe: recipe, weights: store.blobs.readTensors(artifact(FineTuneStage.weightsOutput)),
                                   info: info, stage: stage)
    }

    private static let kinds = [StageKind.fineTune.rawValue, StageKind.export.rawValue]

    private static func stageRun(for target: String, in lineage: LineageDatabase) throws -> StageRunDetail {
        if let detail = try lineage.latestStageRun(stage: target) {
            guard kinds.contains(detail.record.kind) else {
                throw ModelExportError.notAModel(stage: target, kind: detail.record.kind)
            }
            return detail
        }
        guard let runID = Int64(target), try lineage.run(id: runID) != nil else {
            throw ModelExportError.unknownTarget(target)
        }
        let models = try lineage.stageRuns(ofRun: runID).filter { $0.kind == StageKind.fineTune.rawValue && $0.status == .finished }
        guard models.count == 1, let id = models[0].id, let detail = try lineage.stageRun(id: id) else {
            throw ModelExportError.noSingleModel(runID: runID, stages: models.map(\.stage).sorted())
        }
        return detail
    }
}

/// Why `tlab export-model` found no model to export.
public enum ModelExportError: Error, Equatable, CustomStringConvertible {
    /// Neither a stage with a finished run nor a run number.
    case unknownTarget(String)
    /// The stage is of a kind that holds no trained model.
    case notAModel(stage: String, kind: String)
    /// The run has no finished fine-tune stage, or several (`stages`, sorted).
    case noSingleModel(runID: Int64, stages: [String])
    /// The stage run lacks an artifact the export reads.
    case missingArtifact(stage: String, artifact: String, available: [String])

    public var description: String {
        switch self {
        case .unknownTarget(let target):
            return "'\(target)' is neither a stage with a finished run nor a run number ('tlab runs' lists runs, "
                + "'tlab status' a pipeline's stages)"
        case let .notAModel(stage, kind):
            return "stage \(stage) is a \(kind) stage, which holds no trained model; name a fine-tune or export stage"
        case let .noSingleModel(runID, stages):
            return stages.isEmpty
                ? "run \(runID) has no finished fine-tune stage, so no model to export"
                : "run \(runID) has \(stages.count) fine-tuned models; name one of its stages: \(stages.joined(separator: ", "))"
        case let .missingArtifact(stage, artifact, available):
            return "stage \(stage) recorded no '\(artifact)' to export from; it has: \(available.joined(separator: ", "))"
        }
    }
}
