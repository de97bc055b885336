// fine-tune: one variant's training on the target task. The backbone starts pretrained or random,
// its frozen part stays fixed, a head preset goes on top, and the study's callbacks steer training.
// With the whole backbone frozen and features cached upstream, only the head trains, on the features.
import Engine
import Foundation
import Reporting
import Store

/// What a fine-tune run produced, besides its weights: the figures the report shows. Deterministic
/// (no seconds), so an identical run gives an identical artifact.
struct FineTuneSummary: Codable, Equatable {
    var initialization: Initialization
    /// `none`, `backbone` or `up-to:<layer>`.
    var freezing: String
    var head: String
    var trainableParameters: Int
    var totalParameters: Int
    var epochsRun: Int
    /// The 1-based epoch whose weights are the stage's `weights`: the best by the monitored metric
    /// with `restore_best`, else the last.
    var selectedEpoch: Int
    /// What chose it: the validation split, the test set standing in for one (`validation_fraction: 0`),
    /// or nothing (the last epoch).
    var selectedOn: EpochSelection
    /// The 1-based epochs (the selected one included) whose monitored value equals the selected
    /// epoch's, among which the tie-breaker chose; nil in summaries from before it was recorded.
    var tiedEpochs: [Int]?
    /// Images of the split validation ran on (the test set's when there is no validation split).
    var validationImages: Int
    /// The stage's `seed` parameter: its initial head weights, shuffling, augmentation and dropout.
    var seed: Int
    var trainedOnCachedFeatures: Bool
    var curves: [EpochRecord]

    var frozenPart: FrozenPart { FrozenPart(ModelRecipe.freezing(freezing)) }
}

struct FineTuneStage: Stage {
    static let kind = StageKind.finetune
    /// 3: epochs that tie on the monitored metric are told apart by the other validation metric.
    static let version = 3
    /// The whole model (backbone and head) of the selected epoch.
    static let weightsOutput = "weights"
    /// The whole model as the last epoch left it: the same blob as `weights` when that epoch is the
    /// selected one.
    static let lastWeightsOutput = "last_weights"
    static let architectureOutput = "architecture"
    static let summaryOutput = "summary"

    func run(_ context: StageContext) throws -> StageResult {
        let p = context.parameters
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        let target = try context.shards("data", PreprocessStage.targetOutput)
        // A random-init variant takes only the architecture from its backbone input (a fine-tune
        // stage has no architecture parameters of its own), so only that is in its key.
        let base = try context.json(ModelRecipe.self, "backbone", PretrainStage.architectureOutput)
        let pretrained = p.string("init") == "pretrained"
        var recipe = base.with(head: p.string("head"), pooling: p.string("pooling"), classes: info.targetClasses.count,
                               freezing: base.freezing)
        recipe.inputShape = info.imageShape
        let model = try recipe.model(seed: context.random.stream(2).bits(at: 0))
        if pretrained { try model.load(context.tensors("backbone", PretrainStage.weightsOutput).engineTensors(), partial: true) }

        let onFeatures = pretrained && recipe.freezing == "backbone" && !p.bool("augment")
            && context.has("backbone", FreezeStage.featuresOutput)
        // Where the examples come from: the backbone's cached features, or the images.
        let network: TrainableNetwork = onFeatures ? model.head : model
        let examples = onFeatures ? try context.shards("backbone", FreezeStage.featuresOutput) : target
        let normalization = onFeatures ? nil : info.normalization
        let train = try context.examples(examples, split: TaskSplit.train, normalization: normalization)
        let validation = try context.examples(examples, split: target.validationOrTest, normalization: normalization)

        let monitor = p.string("monitor")
        var loop = TrainingLoop(context: context, network: network, train: train, validation: validation)
        loop.checkpointEvery = p.int("checkpoint_every")
        if p.int("reduce_lr_patience") > 0 {
            loop.reduceLROnPlateau = ReduceLROnPlateau(
                monitor: MetricMonitor(metric: p.optionalString("reduce_lr_monitor") ?? monitor, minDelta: 1e-4),
                factor: p.double("reduce_lr_factor"), patience: p.int("reduce_lr_patience"), minLearningRate: p.double("min_lr"))
        }
        if p.int("early_stopping_patience") > 0 {
            loop.earlyStopping = EarlyStopping(monitor: MetricMonitor(metric: p.optionalString("early_stopping_monitor") ?? monitor),
                                               patience: p.int("early_stopping_patience"))
        }
        if p.bool("restore_best") {
            loop.bestModel = BestModelSelection(monitor: MetricMonitor(metric: monitor),
                                                tieBreaker: MetricMonitor(metric: Self.tieBreaker(of: monitor)))
        }
        let trainer = try loop.run()
        let lastWeights = model.namedTensors.map { (name: $0.name, tensor: $0.tensor.clone()) }
        if let best = trainer.bestWeights { try network.load(best) }

        let counts = ModelSummary(model.architecture)
        let summary = FineTuneSummary(
            initialization: pretrained ? .pretrained : .random, freezing: recipe.freezing, head: try recipe.headDescription(),
            trainableParameters: counts.trainable, totalParameters: counts.total, epochsRun: trainer.history.count,
            selectedEpoch: trainer.bestEpoch.map { $0 + 1 } ?? trainer.history.count,
            selectedOn: !p.bool("restore_best") ? .last : target.validationOrTest == TaskSplit.validation ? .validation : .test,
            tiedEpochs: Self.epochsTying(trainer.bestEpoch, on: monitor, in: trainer.history),
            validationImages: validation.count, seed: p.int("seed"), trainedOnCachedFeatures: onFeatures,
            curves: trainer.history.map {
                EpochRecord(epoch: $0.epoch + 1, trainAccuracy: $0.accuracy, trainLoss: $0.loss,
                            validationAccuracy: $0.validationAccuracy ?? .nan, validationLoss: $0.validationLoss ?? .nan,
                            learningRate: $0.learningRate)
            })
        return StageResult(outputs: [
            Self.weightsOutput: .weights(model.namedTensors, metadata: [:]),
            Self.lastWeightsOutput: .weights(lastWeights, metadata: [:]),
            Self.architectureOutput: try .json(recipe),
            Self.summaryOutput: try .json(summary),
        ], metrics: TrainingLoop.metrics(of: trainer))
    }

    /// The validation metric that breaks ties on `monitor`: loss for accuracy (300 images give
    /// accuracies in steps of 1/300, so epochs often tie), accuracy for loss.
    static func tieBreaker(of monitor: String) -> String {
        monitor == "val_loss" ? "val_accuracy" : "val_loss"
    }

    /// The 1-based epochs whose `monitor` value equals that of `selected` (0-based); [] without one.
    static func epochsTying(_ selected: Int?, on monitor: String, in history: [Engine.EpochRecord]) -> [Int] {
        guard let selected, let best = history[selected].value(of: monitor) else { return [] }
        return history.filter { $0.value(of: monitor) == best }.map { $0.epoch + 1 }
    }
}
