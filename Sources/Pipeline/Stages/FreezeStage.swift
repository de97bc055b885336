// freeze: decide which part of the backbone stays fixed and, when it is all of it (and features are
// wanted), run the backbone once in inference mode over the target task's images and store the
// features, so a frozen variant's head trains without running the backbone again.
import Engine
import Foundation
import Store

struct FreezeStage: Stage {
    static let kind = StageKind.freeze
    static let version = 1
    /// The backbone weights, handed on unchanged (the same blob as pretrain's).
    static let weightsOutput = PretrainStage.weightsOutput
    /// The recipe with its freezing set.
    static let architectureOutput = PretrainStage.architectureOutput
    /// `train_features`, `validation_features`, `test_features`: the backbone's output per image.
    static let featuresOutput = "features"

    func run(_ context: StageContext) throws -> StageResult {
        let p = context.parameters
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        var recipe = try context.json(ModelRecipe.self, "backbone", PretrainStage.architectureOutput)
            .with(head: "none", pooling: "avg", classes: info.targetClasses.count, freezing: p.string("freeze"))
        recipe.inputShape = info.imageShape
        let model = try recipe.model(seed: 0)  // also checks that an up-to target names a layer
        let weights = try context.tensors("backbone", PretrainStage.weightsOutput)
        var outputs: [String: StageOutput] = [
            Self.weightsOutput: .tensors(weights),
            Self.architectureOutput: try .json(recipe),
        ]
        if recipe.freezing == "backbone" && p.bool("cache_features") {
            try model.load(weights.engineTensors(), partial: true)
            let target = try TaskSplits(context.tensors("data", PreprocessStage.targetOutput), classNames: info.targetClasses)
            let splits = [("train", target.train), ("validation", target.validation), ("test", target.test)]
            let features = try splits.map { name, split in
                (name: name + "_features", tensor: model.features(for: try split.examples(info.normalization).inputs, batchSize: p.int("batch")))
            }
            outputs[Self.featuresOutput] = .weights(features, metadata: [:])
            context.message("cached backbone features \(model.architecture.backboneOutputShape) for "
                            + "\(target.train.count + target.validation.count + target.test.count) images")
        }
        return StageResult(outputs: outputs)
    }
}
