// evaluate: the fine-tuned model on the target test set: accuracy, loss, confusion matrix, per-class
// precision and recall; inference speed goes to lineage as a metric (it differs between runs).
import Engine
import Foundation
import Store

/// An evaluation artifact: the test figures, the fine-tune summary they belong to, and the machine.
struct EvaluationResult: Codable, Equatable {
    var summary: FineTuneSummary
    var classNames: [String]
    var accuracy: Double
    var loss: Double
    var confusion: [[Int]]
    var precision: [Double]
    var recall: [Double]
    var machine: Machine
    /// Image-folder files the data set left out as unreadable (absent when none were).
    var skippedImages: [SkippedImage]?
}

struct EvaluateStage: Stage {
    static let kind = StageKind.evaluate
    static let version = 2
    static let evaluationOutput = "evaluation"
    static let imagesPerSecondMetric = "inference_images_per_second"

    func run(_ context: StageContext) throws -> StageResult {
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        let target = try context.shards("data", PreprocessStage.targetOutput)
        let recipe = try context.json(ModelRecipe.self, "model", FineTuneStage.architectureOutput)
        let model = try recipe.model(seed: 0)
        try model.load(context.tensors("model", FineTuneStage.weightsOutput).engineTensors())
        let evaluation = try evaluate(model, on: context.examples(target, split: TaskSplit.test, normalization: info.normalization),
                                      batchSize: context.parameters.int("batch"), prefetchDepth: context.prefetchDepth)
        let result = EvaluationResult(
            summary: try context.json(FineTuneSummary.self, "model", FineTuneStage.summaryOutput), classNames: info.targetClasses,
            accuracy: evaluation.accuracy, loss: evaluation.meanLoss, confusion: evaluation.confusion,
            precision: evaluation.precision, recall: evaluation.recall, machine: .current, skippedImages: info.skippedImages)
        context.message(String(format: "test accuracy %.2f%%, loss %.4f on %d images", 100 * evaluation.accuracy,
                               evaluation.meanLoss, evaluation.count))
        return StageResult(outputs: [Self.evaluationOutput: try .json(result)], metrics: [
            MetricPoint(name: Self.imagesPerSecondMetric, step: 0, value: evaluation.imagesPerSecond),
            MetricPoint(name: "test_accuracy", step: 0, value: evaluation.accuracy),
            MetricPoint(name: "test_loss", step: 0, value: evaluation.meanLoss),
        ])
    }
}
