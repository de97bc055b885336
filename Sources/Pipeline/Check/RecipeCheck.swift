// The recipe check: set-ups that make a pipeline's comparisons untrustworthy though every stage runs
// correctly, found from the plan alone before anything runs. `tlab check` prints them; `run`,
// `status` and `dag` print them once; the report lists them in its provenance.
import Engine
import Foundation
import Reporting

/// The warnings for one plan.
public struct RecipeCheck {
    /// Batches below this many images make BatchNorm's batch statistics too noisy (`min_batchnorm_batch`).
    public static let defaultMinBatchNormBatch = 16
    /// An accuracy near this level is what the validation split's resolution is judged at.
    static let typicalAccuracy = 0.9
    /// The widest 95 % half-width, in percentage points, of a validation accuracy that selects epochs.
    static let widestValidationHalfWidth = 2.0

    public let warnings: [RecipeWarning]

    /// Every rule applied to `stages` (in plan order), the pipeline repeated over `seedCount` seeds;
    /// warnings of rules named in `accepted` are marked accepted.
    init(stages: [PlannedStage], seedCount: Int, minBatchNormBatch: Int, accepted: [String]) {
        let byName = Dictionary(stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func input(_ stage: PlannedStage, _ port: String) -> PlannedStage? {
            stage.inputs.first { $0.port == port }.flatMap { byName[$0.stage] }
        }
        var found = [RecipeWarning]()
        var seen = Set<String>()
        for stage in stages where seen.insert(stage.group).inserted {
            if stage.kind.traits.contains(.trains) {
                let data = input(stage, "data")
                let sizes = data.map { SplitSizes(preprocess: $0, download: input($0, "raw"), source: stage.kind == .pretrain) }
                found += Self.trainingWarnings(stage, sizes: sizes, backbone: input(stage, "backbone"),
                                               preprocess: data, minBatch: minBatchNormBatch)
            } else if stage.kind.traits.contains(.gathers),
                      Set(stage.inputs.compactMap { byName[$0.stage]?.variant }).count > 1 && seedCount < 3 {
                found.append(RecipeWarning(
                    rule: .fewSeeds, stages: [stage.group],
                    finding: "compares \(Set(stage.inputs.compactMap { byName[$0.stage]?.variant }).count) variants over "
                        + "\(seedCount) seed\(seedCount == 1 ? "" : "s") each: with fewer than 3 the intervals are missing or too wide to tell variants apart",
                    fix: "repeats: 3 or more (or a seeds: list of 3 or more)"))
            }
        }
        warnings = Self.merged(found).map { $0.accepting(accepted) }
    }

    private static func trainingWarnings(_ stage: PlannedStage, sizes: SplitSizes?, backbone: PlannedStage?,
                                         preprocess: PlannedStage?, minBatch: Int) -> [RecipeWarning] {
        let training = stage.parameters.decoded(as: TrainingParameters.self)
        let fineTune = stage.kind == .fineTune ? stage.parameters.decoded(as: FineTuneStage.Parameters.self) : nil
        let epochs = training.epochs
        if epochs == 0 || (stage.kind == .pretrain && stage.parameters.decoded(as: PretrainStage.Parameters.self).weights != nil) {
            return []
        }
        var warnings = [RecipeWarning]()
        let batch = training.batch, lastBatch = training.lastBatch
        if trainsBatchNorm(fineTune, backbone: backbone) {
            let train = sizes?.train
            let smallest = train.map { smallestBatch(count: $0, batch: batch, lastBatch: lastBatch) } ?? batch
            if smallest > 0 && smallest < minBatch {
                let why: String
                if let train, train < batch {
                    why = "all \(train) training images make one batch"
                } else if let train, smallest < batch {
                    why = "\(train) training images in batches of \(batch) leave a last batch of \(smallest) (last_batch: \(lastBatch.rawValue))"
                } else {
                    why = "batch is \(batch)"
                }
                let fix = train.map { $0 >= batch && $0 % batch != 0 && batch >= minBatch
                    ? "last_batch: drop or merge, or a batch that divides \($0)"
                    : "a batch of at least \(minBatch) images (and at least \(minBatch) training images)" }
                    ?? "a batch of at least \(minBatch) images"
                warnings.append(RecipeWarning(
                    rule: .smallBatch, stages: [stage.group],
                    finding: "trains BatchNorm on batches as small as \(smallest) images (\(why); the threshold is \(minBatch)), "
                        + "so those images are normalised against each other",
                    fix: fix))
            }
        }
        guard let fineTune, let preprocess else { return warnings }
        let steers = fineTune.steeringCallbacks
        if !steers.isEmpty && preprocess.parameters.decoded(as: PreprocessStage.Parameters.self).validationFraction == 0 {
            warnings.append(RecipeWarning(
                rule: .testSelectsEpochs, stages: [stage.group],
                finding: "validates on the test set (validation_fraction: 0 in stage \(preprocess.group)), which "
                    + listed(steers) + ", so its test figures are optimistic",
                fix: "a validation_fraction above 0 in stage \(preprocess.group)"))
        }
        if !steers.isEmpty, let validation = sizes?.validation, validation > 0 {
            let a = typicalAccuracy
            let halfWidth = 100 * 1.96 * (a * (1 - a) / Double(validation)).squareRoot()
            if halfWidth > widestValidationHalfWidth {
                warnings.append(RecipeWarning(
                    rule: .smallValidation, stages: [stage.group],
                    finding: "selects on a validation split of \(validation) images: one image is "
                        + "\(String(format: "%.2f", 100 / Double(validation))) points and an accuracy near "
                        + "\(Int(100 * a)) % is known only to ±\(String(format: "%.1f", halfWidth)) points (95 %), "
                        + "coarser than the differences the report compares",
                    fix: "hold out more images (validation_fraction, per_class) or monitor val_loss"))
            }
        }
        let patience = fineTune.earlyStoppingPatience
        if patience > 0 && patience >= epochs {
            warnings.append(RecipeWarning(
                rule: .idlePatience, stages: [stage.group],
                finding: "has early_stopping_patience \(patience) with \(epochs) epochs, so early stopping can never stop it",
                fix: "early_stopping_patience below epochs, or 0 to turn it off"))
        }
        return warnings
    }

    /// Whether the model `stage` trains has a BatchNorm in training mode: every DenseNet backbone
    /// does unless frozen whole, and so do the study's heads; a frozen BatchNorm uses its running statistics.
    private static func trainsBatchNorm(_ fineTune: FineTuneStage.Parameters?, backbone: PlannedStage?) -> Bool {
        guard let fineTune else { return true }
        let frozenWhole = backbone?.kind == .freeze && backbone?.parameters.decoded(as: FreezeStage.Parameters.self).freeze == .backbone
        return !frozenWhole || fineTune.head.hasBatchNorm
    }

    /// The smallest batch an epoch of `count` images trains on (0: none).
    static func smallestBatch(count: Int, batch: Int, lastBatch: LastBatch) -> Int {
        lastBatch.batchSizes(count: count, batchSize: batch).min() ?? 0
    }

    /// `a`, `a and b`, `a, b and c`.
    private static func listed(_ items: [String]) -> String {
        items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// Warnings that differ only in their stage, as one naming every stage.
    private static func merged(_ warnings: [RecipeWarning]) -> [RecipeWarning] {
        var result = [RecipeWarning]()
        for warning in warnings {
            if let i = result.firstIndex(where: { $0.rule == warning.rule && $0.finding == warning.finding && $0.fix == warning.fix }) {
                result[i] = RecipeWarning(rule: warning.rule, stages: result[i].stages + warning.stages,
                                          finding: warning.finding, fix: warning.fix)
            } else {
                result.append(warning)
            }
        }
        return result
    }
}
