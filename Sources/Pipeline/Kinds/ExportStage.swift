// export: a fine-tuned model (backbone and head, inference mode) as an ONNX file, with what its input
// expects (shape, the in-model resize, the data's normalisation, the class names) in its metadata.
import Engine
import Foundation
import ModelExport
import Store

extension StageKind {
    public static let export = StageKind("export")
}

struct ExportStage: StageDefinition {
    static let kind = StageKind.export
    static let version = 1
    /// The ONNX file, as a raw blob.
    static let onnxOutput = "onnx"

    /// An export has no parameters: the model and data it reads say everything.
    struct Parameters: Decodable {}

    static let parameters: [ParameterSpec] = []
    static let ports = [
        PortSpec("model", [.fineTune]), PortSpec("data", [.preprocess]),
    ]

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        let recipe = try context.json(ModelRecipe.self, "model", FineTuneStage.architectureOutput)
        let onnx = try ONNXExport.file(recipe: recipe, weights: context.tensors("model", FineTuneStage.weightsOutput),
                                       info: info, stage: context.name)
        context.message("ONNX model of \(onnx.count) bytes, input \(ONNXExport.shapeText(info.imageShape))")
        return StageResult(outputs: [Self.onnxOutput: .bytes(Data(onnx))])
    }
}

/// The one way a stored model becomes ONNX bytes: for the export stage and `tlab export-model`.
enum ONNXExport {
    /// The ONNX file of the model `recipe` describes with `weights` (a fine-tune stage's), trained on
    /// data described by `info`.
    static func file(recipe: ModelRecipe, weights: TensorArchive, info: PreparedDataInfo, stage: String) throws -> [UInt8] {
        let model = try recipe.model(seed: 0)
        do {
            try model.load(weights.engineTensors())
        } catch {
            throw StageError.malformedInput(stage: stage, input: "model/\(FineTuneStage.weightsOutput)",
                                            reason: "does not hold the weights of its architecture: \(error)")
        }
        return ONNXModelFile(model: model, metadata: try metadata(recipe: recipe, info: info),
                             producerVersion: "engine \(StageKind.engineVersion)").bytes
    }

    /// What a user of the file needs to feed it: metadata_props keys and values.
    static func metadata(recipe: ModelRecipe, info: PreparedDataInfo) throws -> [String: String] {
        let resize = recipe.inputSize > 0 ? [info.channels, recipe.inputSize, recipe.inputSize] : info.imageShape
        func numbers(_ values: [Float]) -> String { values.map { "\($0)" }.joined(separator: ",") }
        let names = try JSONEncoder().encode(info.targetClasses)
        let n = info.normalization, head = try recipe.headDescription()
        return [
            "input_shape": shapeText(info.imageShape),
            "input_size": shapeText(resize),
            "normalization": "input = (pixel * normalization_scale - normalization_mean[c]) / normalization_std[c] "
                + "per channel c (one value: every channel), pixel as stored (0-255 for 8-bit images)",
            "normalization_scale": "\(n.scale)",
            "normalization_mean": numbers(n.mean),
            "normalization_std": numbers(n.std),
            "class_names": String(decoding: names, as: UTF8.self),
            "architecture": (recipe.family == .denseNet121 ? "densenet-121"
                             : "densenet-bc depth \(recipe.depth) growth \(recipe.growth)")
                + ", \(recipe.stem.rawValue) stem, head: \(head)",
        ]
    }

    /// "3x32x32".
    static func shapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }
}
