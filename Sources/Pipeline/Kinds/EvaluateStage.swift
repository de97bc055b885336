// evaluate: the fine-tuned model on the target test set: accuracy, loss, confusion matrix, per-class
// precision and recall; inference speed goes to lineage as a metric (it differs between runs).
import Datasets
import Engine
import Foundation
import Store

/// An evaluation artifact: the test figures of the selected epoch's weights and of the last epoch's,
/// and the fine-tune summary they belong to. Nothing that differs between machines goes in, so a
/// reproduction elsewhere gives the same bytes.
struct EvaluationResult: Codable, Equatable {
    var summary: FineTuneSummary
    var classNames: [String]
    var accuracy: Double
    var loss: Double
    var confusion: [[Int]]
    var precision: [Double]
    var recall: [Double]
    /// Image-folder files the data set left out as unreadable (absent when none were).
    var skippedImages: [SkippedImage]?
    /// The last epoch's weights on the test set: what the selected epoch would have been without
    /// selection (the same figures when the last epoch is the selected one).
    var lastEpochAccuracy: Double
    var lastEpochLoss: Double
}

extension StageKind {
    public static let evaluate = StageKind("evaluate")
}

struct EvaluateStage: StageDefinition {
    static let kind = StageKind.evaluate
    static let version = 2
    static let evaluationOutput = "evaluation"
    static let imagesPerSecondMetric = "inference_images_per_second"

    struct Parameters: Decodable {
        let batch: Int
    }

    static let parameters = [
        ParameterSpec("batch", ParameterSpec.batch, .value(.int(128)), inKey: false, "images per inference batch"),
    ]
    static let ports = [
        PortSpec("model", [.fineTune]), PortSpec("data", [.preprocess]),
    ]
    static let traits: StageTraits = [.perVariant]

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        let target = try context.shards("data", PreprocessStage.targetOutput)
        let recipe = try context.json(ModelRecipe.self, "model", FineTuneStage.architectureOutput)
        let model = try recipe.model(seed: 0)
        let test = try context.examples(target, split: TaskSplit.test, normalization: info.normalization)
        func evaluateWeights(_ output: String) throws -> Evaluation {
            try model.load(context.tensors("model", output).engineTensors())
            return try evaluate(model, on: test, batchSize: p.batch, prefetchDepth: context.prefetchDepth)
        }
        let evaluation = try evaluateWeights(FineTuneStage.weightsOutput)
        let selectedIsLast = try context.hash("model", FineTuneStage.weightsOutput)
            == context.hash("model", FineTuneStage.lastWeightsOutput)
        let last = selectedIsLast ? evaluation : try evaluateWeights(FineTuneStage.lastWeightsOutput)
        let result = EvaluationResult(
            summary: try context.json(FineTuneSummary.self, "model", FineTuneStage.summaryOutput), classNames: info.targetClasses,
            accuracy: evaluation.accuracy, loss: evaluation.meanLoss, confusion: evaluation.confusion,
            precision: evaluation.precision, recall: evaluation.recall, skippedImages: info.skippedImages,
            lastEpochAccuracy: last.accuracy, lastEpochLoss: last.meanLoss)
        context.message(String(format: "test accuracy %.2f%%, loss %.4f on %d images", 100 * evaluation.accuracy,
                               evaluation.meanLoss, evaluation.count)
                        + (selectedIsLast ? "" : String(format: " (last epoch: %.2f%%)", 100 * last.accuracy)))
        return StageResult(outputs: [Self.evaluationOutput: try .json(result)], metrics: [
            MetricPoint(name: Self.imagesPerSecondMetric, step: 0, value: evaluation.imagesPerSecond),
            MetricPoint(name: "test_accuracy", step: 0, value: evaluation.accuracy),
            MetricPoint(name: "test_loss", step: 0, value: evaluation.meanLoss),
        ])
    }
}
