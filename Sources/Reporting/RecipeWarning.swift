// What the recipe check found: a set-up that makes a pipeline's comparisons less trustworthy than
// its report looks, named so a pipeline can acknowledge it (`accept_warnings`) when it is deliberate.

/// The rules the recipe check applies, by the name `accept_warnings` uses.
public enum RecipeRule: String, CaseIterable, Codable, Sendable {
    /// BatchNorm in training mode on a batch smaller than `min_batchnorm_batch`, a short last batch included.
    case smallBatch = "small-batch"
    /// The test set selects epochs, stops training or lowers the learning rate (`validation_fraction: 0`).
    case testSelectsEpochs = "test-selects-epochs"
    /// A comparison of variants over fewer than 3 seeds.
    case fewSeeds = "few-seeds"
    /// A validation split too small for the accuracy it selects epochs on to tell them apart.
    case smallValidation = "small-validation"
    /// Early stopping whose patience is not shorter than the epochs: it can never stop a run.
    case idlePatience = "idle-patience"
}

/// One finding of the recipe check, about one or more stages that share it.
public struct RecipeWarning: Codable, Equatable, Sendable, CustomStringConvertible {
    public let rule: RecipeRule
    /// The stages it concerns (seed copies collapsed to their group, `finetune@optimized`).
    public let stages: [String]
    /// What was found, with its figures.
    public let finding: String
    /// What would remove it.
    public let fix: String
    /// Listed in the pipeline's `accept_warnings`: a deliberate choice, reported but not warned about.
    public let accepted: Bool

    public init(rule: RecipeRule, stages: [String], finding: String, fix: String, accepted: Bool = false) {
        self.rule = rule
        self.stages = stages
        self.finding = finding
        self.fix = fix
        self.accepted = accepted
    }

    /// `rule in stage[, stage…]: finding. Fix: fix.`, one line; the finding says what each stage does.
    public var description: String {
        "\(rule.rawValue) in \(stages.joined(separator: ", ")): \(finding). Fix: \(fix)."
    }

    package func accepting(_ names: [String]) -> RecipeWarning {
        RecipeWarning(rule: rule, stages: stages, finding: finding, fix: fix, accepted: names.contains(rule.rawValue))
    }
}
