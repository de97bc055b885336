// The version constants that go into every stage key. Bump a kind's version when its stage's
// semantics change, and the engine's when the engine's numerics change, so no cached output made
// by the old code is reused. (The stage implementations may take these over later.)

extension StageKind {
    /// The semantics version of this kind's stage.
    public var version: Int {
        switch self {
        case .download: return 1
        case .preprocess: return 1
        case .pretrain: return 1
        case .freeze: return 1
        case .finetune: return 1
        case .evaluate: return 1
        case .report: return 1
        }
    }

    /// The engine's numerics version, shared by every kind.
    public static let engineVersion = 1
}
