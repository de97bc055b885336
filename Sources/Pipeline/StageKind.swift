// The eight kinds of stage a pipeline is made of.

/// What a stage does. Each kind has a version constant in its implementation, bumped when its
/// semantics change, so cached outputs of the old semantics are never reused.
public enum StageKind: String, CaseIterable, Codable, Sendable {
    case download, preprocess, pretrain, freeze, finetune = "fine-tune", evaluate, export, report
}
