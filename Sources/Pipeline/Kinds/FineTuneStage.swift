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
    var freezing: Freezing
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

    var frozenPart: FrozenPart { FrozenPart(freezing) }
}

extension StageKind {
    public static let fineTune = StageKind("fine-tune")
}

struct FineTuneStage: StageDefinition {
    static let kind = StageKind.fineTune
    /// 3: epochs that tie on the monitored metric are told apart by the other validation metric.
    static let version = 3
    /// The whole model (backbone and head) of the selected epoch.
    static let weightsOutput = "weights"
    /// The whole model as the last epoch left it: the same blob as `weights` when that epoch is the
    /// selected one.
    static let lastWeightsOutput = "last_weights"
    static let architectureOutput = "architecture"
    static let summaryOutput = "summary"

    struct Parameters: Decodable {
        let training: TrainingParameters
        let initialization: Initialization
        let head: HeadPreset
        let pooling: PoolingChoice
        let reduceLrPatience: Int
        let reduceLrFactor: Double
        let minLr: Double
        let earlyStoppingPatience: Int
        let monitor: ValidationMetric
        let reduceLrMonitor: ValidationMetric?
        let earlyStoppingMonitor: ValidationMetric?
        let restoreBest: Bool
        let labelSmoothing: Double
        let checkpointEvery: Int

        private enum CodingKeys: String, CodingKey {
            case training, initialization = "init", head, pooling, reduceLrPatience, reduceLrFactor, minLr,
                 earlyStoppingPatience, monitor, reduceLrMonitor, earlyStoppingMonitor, restoreBest, labelSmoothing,
                 checkpointEvery
        }

        /// What the validation figures decide: selecting the epoch, stopping early, lowering the rate.
        var steeringCallbacks: [String] {
            var uses = [String]()
            if restoreBest { uses.append("selects its epoch") }
            if earlyStoppingPatience > 0 && earlyStoppingPatience < training.epochs { uses.append("stops it early") }
            if reduceLrPatience > 0 { uses.append("lowers its learning rate") }
            return uses
        }
    }

    private static let validationMetrics = ValidationMetric.allCases.map(\.rawValue)
    static let parameters = [
        ParameterSpec("init", .choice([Initialization.random, .pretrained].map(\.rawValue)), .value(.string(Initialization.pretrained.rawValue)),
                      "backbone initialisation"),
        ParameterSpec("head", .choice(HeadPreset.trainable.map(\.rawValue)), .value(.string(HeadPreset.linear.rawValue)),
                      "classifier head preset"),
        ParameterSpec("pooling", .choice(PoolingChoice.allCases.map(\.rawValue)), .value(.string(PoolingChoice.avg.rawValue)),
                      "global pooling of a linear head (study-optimized max-pools, study-frozen flattens)"),
        ParameterSpec("reduce_lr_patience", .int(0...1000), .value(.int(0)), "epochs without improvement before lowering lr (0: off)"),
        ParameterSpec("reduce_lr_factor", .float(0.001...0.999), .value(.float(0.1)), "lr multiplier on a plateau"),
        ParameterSpec("min_lr", .float(0...10), .value(.float(0)), "lr floor for plateau reductions"),
        ParameterSpec("early_stopping_patience", .int(0...1000), .value(.int(0)), "epochs without improvement before stopping (0: off)"),
        ParameterSpec("monitor", .choice(validationMetrics), .value(.string(ValidationMetric.valAccuracy.rawValue)),
                      "metric the best epoch is selected on (ties go to the better of the other one), and the default of the two below"),
        ParameterSpec("reduce_lr_monitor", .choice(validationMetrics), .absent,
                      "metric whose plateau lowers the learning rate (Keras's default: val_loss); absent: monitor"),
        ParameterSpec("early_stopping_monitor", .choice(validationMetrics), .absent,
                      "metric whose plateau stops training (Keras's default: val_loss); absent: monitor"),
        ParameterSpec("restore_best", .bool, .value(.bool(true)), "end with the weights of the best monitored epoch"),
        ParameterSpec("label_smoothing", .float(0...0.5), .value(.float(0)), "cross-entropy label smoothing"),
        ParameterSpec("checkpoint_every", .int(1...1000), .value(.int(1)), inKey: false, "epochs between resumable checkpoints"),
    ] + TrainingParameters.specs(epochs: 10)
    static let ports = [
        PortSpec("backbone", [.freeze, .pretrain], unless: ("init", .string(Initialization.random.rawValue)),
                 readsOnly: ("init", .string(Initialization.random.rawValue), [PretrainStage.architectureOutput])),
        PortSpec("data", [.preprocess]),
    ]
    static let traits: StageTraits = [.perVariant, .perSeed, .trains]

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        let target = try context.shards("data", PreprocessStage.targetOutput)
        // A random-init variant takes only the architecture from its backbone input (a fine-tune
        // stage has no architecture parameters of its own), so only that is in its key.
        let base = try context.json(ModelRecipe.self, "backbone", PretrainStage.architectureOutput)
        let pretrained = p.initialization == .pretrained
        var recipe = base.with(head: p.head, pooling: p.pooling, classes: info.targetClasses.count, freezing: base.freezing)
        recipe.inputShape = info.imageShape
        let model = try recipe.model(seed: p.training.initialisationSeed)
        if pretrained { try model.load(context.tensors("backbone", PretrainStage.weightsOutput).engineTensors(), partial: true) }

        let onFeatures = pretrained && recipe.freezing == .backbone && !p.training.augment
            && context.has("backbone", FreezeStage.featuresOutput)
        // Where the examples come from: the backbone's cached features, or the images.
        let network: TrainableNetwork = onFeatures ? model.head : model
        let examples = onFeatures ? try context.shards("backbone", FreezeStage.featuresOutput) : target
        let normalization = onFeatures ? nil : info.normalization
        let train = try context.examples(examples, split: TaskSplit.train, normalization: normalization)
        let validation = try context.examples(examples, split: target.validationOrTest, normalization: normalization)

        let monitor = p.monitor
        var loop = TrainingLoop(context: context, parameters: p.training, network: network, train: train, validation: validation)
        loop.checkpointEvery = p.checkpointEvery
        loop.labelSmoothing = Float(p.labelSmoothing)
        if p.reduceLrPatience > 0 {
            loop.reduceLROnPlateau = ReduceLROnPlateau(
                monitor: MetricMonitor(metric: (p.reduceLrMonitor ?? monitor).rawValue, minDelta: 1e-4),
                factor: p.reduceLrFactor, patience: p.reduceLrPatience, minLearningRate: p.minLr)
        }
        if p.earlyStoppingPatience > 0 {
            loop.earlyStopping = EarlyStopping(monitor: MetricMonitor(metric: (p.earlyStoppingMonitor ?? monitor).rawValue),
                                               patience: p.earlyStoppingPatience)
        }
        if p.restoreBest {
            loop.bestModel = BestModelSelection(monitor: MetricMonitor(metric: monitor.rawValue),
                                                tieBreaker: MetricMonitor(metric: monitor.tieBreaker.rawValue))
        }
        let trainer = try loop.run()
        let lastWeights = model.namedTensors.map { (name: $0.name, tensor: $0.tensor.clone()) }
        if let best = trainer.bestWeights { try network.load(best) }

        let counts = ModelSummary(model.architecture)
        let summary = FineTuneSummary(
            initialization: pretrained ? .pretrained : .random, freezing: recipe.freezing, head: try recipe.headDescription(),
            trainableParameters: counts.trainable, totalParameters: counts.total, epochsRun: trainer.history.count,
            selectedEpoch: trainer.bestEpoch.map { $0 + 1 } ?? trainer.history.count,
            selectedOn: !p.restoreBest ? .last : target.validationOrTest == TaskSplit.validation ? .validation : .test,
            tiedEpochs: Self.epochsTying(trainer.bestEpoch, on: monitor, in: trainer.history),
            validationImages: validation.count, seed: p.training.seed, trainedOnCachedFeatures: onFeatures,
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

    /// The 1-based epochs whose `monitor` value equals that of `selected` (0-based); [] without one.
    static func epochsTying(_ selected: Int?, on monitor: ValidationMetric, in history: [Engine.EpochRecord]) -> [Int] {
        guard let selected, let best = history[selected].value(of: monitor.rawValue) else { return [] }
        return history.filter { $0.value(of: monitor.rawValue) == best }.map { $0.epoch + 1 }
    }
}
