// What a comparison report shows: plain values, filled from lineage by the report stage and rendered
// without touching the store, so rendering is a pure function of these values.
import Datasets
import Foundation

/// Everything the comparison report shows, for one run of one pipeline: per variant, the result of
/// every seed; the statistics across seeds are derived when the report is rendered.
public struct ComparisonReport: Sendable, Codable, Equatable {
    /// The fine-tuned variants, in the order the report lists them.
    public var variants: [VariantResult]
    public var provenance: Provenance
    /// The pipeline's DAG as Mermaid flowchart source, shown verbatim in a ```mermaid block.
    public var dagMermaid: String
    /// Figures a published study reported, keyed by the name of the variant of ours they correspond
    /// to; shown beside ours. Empty for pipelines that reproduce no study.
    public var studyFigures: [String: StudyFigure]
    /// The heading of report.md; nil gives "Comparison report: <pipeline name>".
    public var title: String?
    /// Image-folder files left out of the data because they could not be decoded; nil when none were.
    public var skippedImages: [SkippedImage]?
    /// How many pretrain stages (backbones) the reported variants stand on; nil when not recorded.
    public var backbones: Int?

    public init(variants: [VariantResult], provenance: Provenance, dagMermaid: String,
                studyFigures: [String: StudyFigure] = [:], title: String? = nil, skippedImages: [SkippedImage]? = nil) {
        self.variants = variants
        self.provenance = provenance
        self.dagMermaid = dagMermaid
        self.studyFigures = studyFigures
        self.title = title
        self.skippedImages = skippedImages
    }
}

/// How a variant's backbone weights started.
public enum Initialization: String, Sendable, Codable, Equatable {
    case random, pretrained
}

/// Which part of the network a variant keeps frozen while training.
public enum FrozenPart: Sendable, Codable, Equatable, CustomStringConvertible {
    case none
    case backbone
    /// Every layer up to and including the named one.
    case upTo(String)

    public var description: String {
        switch self {
        case .none: "none"
        case .backbone: "backbone"
        case .upTo(let layer): "up to \(layer)"
        }
    }
}

/// One variant: how it is built, and its result on each seed it ran.
public struct VariantResult: Sendable, Codable, Equatable {
    public var name: String
    public var initialization: Initialization
    public var frozenPart: FrozenPart
    /// A short description of the classification head, e.g. "linear".
    public var head: String
    public var trainableParameters: Int
    public var totalParameters: Int
    /// One per seed (per backbone and seed with `pretrain_seeds`), in the order the pipeline lists
    /// them; never empty.
    public var runs: [SeedResult]

    public init(name: String, initialization: Initialization, frozenPart: FrozenPart, head: String,
                trainableParameters: Int, totalParameters: Int, runs: [SeedResult]) {
        self.name = name
        self.initialization = initialization
        self.frozenPart = frozenPart
        self.head = head
        self.trainableParameters = trainableParameters
        self.totalParameters = totalParameters
        self.runs = runs
    }

    /// The fine-tuning seeds of the runs, each once, in order (on several backbones, each backbone runs them).
    public var seeds: [Int] {
        var seeds = [Int]()
        for run in runs where !seeds.contains(run.seed) { seeds.append(run.seed) }
        return seeds
    }

    /// The pretraining seeds of the backbones the runs fine-tuned, each once, in order; empty without them.
    public var backbones: [Int] {
        var backbones = [Int]()
        for case let backbone? in runs.map(\.backbone) where !backbones.contains(backbone) { backbones.append(backbone) }
        return backbones
    }
}

/// What chose the epoch whose weights a fine-tune kept.
public enum EpochSelection: String, Sendable, Codable, Equatable {
    /// The best epoch on the validation split: the test set played no part.
    case validation
    /// The best epoch on the test set, standing in for a validation split (`validation_fraction: 0`,
    /// as the study did): its test figures are optimistic.
    case test
    /// No selection: the last epoch (`restore_best: false`).
    case last
}

/// One variant trained and evaluated with one seed.
public struct SeedResult: Sendable, Codable, Equatable {
    public var seed: Int
    /// The pretraining seed of the backbone this run fine-tuned (`pretrain_seeds`); nil when the
    /// pipeline has one backbone per variant, or the variant does not start from a backbone's weights.
    public var backbone: Int?
    public var epochsRun: Int
    /// The 1-based epoch whose weights were kept and tested (0 when no epoch ran).
    public var selectedEpoch: Int
    public var selectedOn: EpochSelection
    /// The 1-based epochs that tied with the selected one on the monitored metric (it included), among
    /// which the tie-breaking metric chose; nil when not recorded.
    public var tiedEpochs: [Int]?
    /// Test accuracy (a fraction in [0, 1]) and mean cross-entropy of the selected epoch's weights.
    public var testAccuracy: Double
    public var testLoss: Double
    /// The same for the last epoch's weights.
    public var lastEpochTestAccuracy: Double
    public var lastEpochTestLoss: Double
    /// Measured, not computed: differs between identical runs.
    public var trainingSeconds: Double
    /// One entry per epoch run; empty when no curves were recorded.
    public var curves: [EpochRecord]
    public var confusion: ConfusionMatrix
    /// Measured, not computed: differs between identical runs.
    public var inferenceImagesPerSecond: Double

    public init(seed: Int, epochsRun: Int, selectedEpoch: Int, selectedOn: EpochSelection, testAccuracy: Double,
                testLoss: Double, lastEpochTestAccuracy: Double, lastEpochTestLoss: Double, trainingSeconds: Double,
                curves: [EpochRecord], confusion: ConfusionMatrix, inferenceImagesPerSecond: Double,
                tiedEpochs: [Int]? = nil, backbone: Int? = nil) {
        self.seed = seed
        self.backbone = backbone
        self.tiedEpochs = tiedEpochs
        self.epochsRun = epochsRun
        self.selectedEpoch = selectedEpoch
        self.selectedOn = selectedOn
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.lastEpochTestAccuracy = lastEpochTestAccuracy
        self.lastEpochTestLoss = lastEpochTestLoss
        self.trainingSeconds = trainingSeconds
        self.curves = curves
        self.confusion = confusion
        self.inferenceImagesPerSecond = inferenceImagesPerSecond
    }

    /// Training time divided by the epochs run; nil when no epoch ran.
    public var secondsPerEpoch: Double? {
        epochsRun > 0 ? trainingSeconds / Double(epochsRun) : nil
    }
}

/// The figures recorded at the end of one training epoch. Accuracies are fractions in [0, 1].
public struct EpochRecord: Sendable, Codable, Equatable {
    /// 1-based.
    public var epoch: Int
    public var trainAccuracy: Double
    public var trainLoss: Double
    public var validationAccuracy: Double
    public var validationLoss: Double
    public var learningRate: Double

    public init(epoch: Int, trainAccuracy: Double, trainLoss: Double, validationAccuracy: Double,
                validationLoss: Double, learningRate: Double) {
        self.epoch = epoch
        self.trainAccuracy = trainAccuracy
        self.trainLoss = trainLoss
        self.validationAccuracy = validationAccuracy
        self.validationLoss = validationLoss
        self.learningRate = learningRate
    }
}

/// Test-set predictions counted by true class (rows) and predicted class (columns).
/// Precision and recall are derived from the counts, so they can never disagree with them.
public struct ConfusionMatrix: Sendable, Codable, Equatable {
    public var classNames: [String]
    /// `counts[t][p]`: test images of true class `t` predicted as class `p`.
    public var counts: [[Int]]

    public init(classNames: [String], counts: [[Int]]) {
        self.classNames = classNames
        self.counts = counts
    }

    /// Of the images predicted as class `c`, the fraction that are `c`; nil when none was predicted.
    public func precision(ofClass c: Int) -> Double? {
        let predicted = counts.reduce(0) { $0 + $1[c] }
        return predicted > 0 ? Double(counts[c][c]) / Double(predicted) : nil
    }

    /// Of the images of class `c`, the fraction predicted as `c`; nil when the test set has none.
    public func recall(ofClass c: Int) -> Double? {
        let actual = counts[c].reduce(0, +)
        return actual > 0 ? Double(counts[c][c]) / Double(actual) : nil
    }
}

/// Where the numbers of a report come from.
public struct Provenance: Sendable, Codable, Equatable {
    public var pipelineName: String
    /// SHA-256 (hex) of the pipeline file as run.
    public var pipelineFileHash: String
    /// The stage runs, in the order they ran.
    public var stages: [StageProvenance]
    public var toolVersion: String
    public var engineVersion: String
    public var seed: UInt64
    public var machine: Machine
    /// When the run started, as the lineage database recorded it.
    public var runDate: Date
    /// What the recipe check found in the pipeline, acknowledged warnings included; nil in reports
    /// from before the check existed.
    public var recipeWarnings: [RecipeWarning]?
    /// The exact versions of the packages the computing tlab was built with; nil in reports from
    /// before they were recorded.
    public var dependencies: [DependencyVersion]?

    public init(pipelineName: String, pipelineFileHash: String, stages: [StageProvenance],
                toolVersion: String, engineVersion: String, seed: UInt64, machine: Machine, runDate: Date,
                recipeWarnings: [RecipeWarning]? = nil, dependencies: [DependencyVersion]? = BuildDependencies.pinned) {
        self.recipeWarnings = recipeWarnings
        self.dependencies = dependencies
        self.pipelineName = pipelineName
        self.pipelineFileHash = pipelineFileHash
        self.stages = stages
        self.toolVersion = toolVersion
        self.engineVersion = engineVersion
        self.seed = seed
        self.machine = machine
        self.runDate = runDate
    }
}

/// Whether a stage's outputs were reused or produced by this run.
public enum CacheState: String, Sendable, Codable, Equatable {
    case hit, computed
}

/// One stage run of the reported pipeline run.
public struct StageProvenance: Sendable, Codable, Equatable {
    public var name: String
    /// The stage's kind as pipeline files spell it (`fine-tune`).
    public var kind: String
    /// The leading hex digits of the stage's key.
    public var keyPrefix: String
    public var cache: CacheState
    public var seconds: Double

    public init(name: String, kind: String, keyPrefix: String, cache: CacheState, seconds: Double) {
        self.name = name
        self.kind = kind
        self.keyPrefix = keyPrefix
        self.cache = cache
        self.seconds = seconds
    }
}

/// The machine a run happened on.
public struct Machine: Sendable, Codable, Equatable {
    public var cores: Int
    public var cpuModel: String
    public var operatingSystem: String

    public init(cores: Int, cpuModel: String, operatingSystem: String) {
        self.cores = cores
        self.cpuModel = cpuModel
        self.operatingSystem = operatingSystem
    }
}

/// What a published study reported for one of its models. Accuracy and loss are fractions
/// (the study printed both as percentages); nil where the study gave no figure.
public struct StudyFigure: Sendable, Codable, Equatable {
    /// The study's own name for the model.
    public var model: String
    public var accuracy: Double?
    public var loss: Double?
    public var trainingSeconds: Double?

    public init(model: String, accuracy: Double?, loss: Double?, trainingSeconds: Double?) {
        self.model = model
        self.accuracy = accuracy
        self.loss = loss
        self.trainingSeconds = trainingSeconds
    }

    /// The DenseNet-121 / CIFAR-10 study's figures (validation accuracy and loss, training time; the
    /// README's "The study it reproduces" cites it), keyed by the names our pipelines give the
    /// corresponding variants.
    public static let denseNetCIFAR10: [String: StudyFigure] = [
        "basic": StudyFigure(model: "basic", accuracy: 0.8659, loss: nil, trainingSeconds: 13.8 * 60),
        "optimized": StudyFigure(model: "optimized", accuracy: 0.9535, loss: 0.1629, trainingSeconds: 139.5 * 60),
        "frozen": StudyFigure(model: "transfer (frozen)", accuracy: 0.9272, loss: 0.3367,
                              trainingSeconds: 44.10 * 60),
    ]
}
