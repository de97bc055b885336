// The pipeline's and the engine's values as the Reporting target records them: Reporting knows
// neither stage kinds nor the engine's freezing, only what a report shows of them.
import Engine
import Reporting

extension FrozenPart {
    init(_ freezing: Freezing) {
        switch freezing {
        case .none: self = .none
        case .backbone: self = .backbone
        case .upTo(let layer): self = .upTo(layer)
        }
    }
}

extension StageProvenance {
    /// A stage run of kind `kind`, recorded by the name pipeline files give the kind.
    public init(name: String, kind: StageKind, keyPrefix: String, cache: CacheState, seconds: Double) {
        self.init(name: name, kind: kind.rawValue, keyPrefix: keyPrefix, cache: cache, seconds: seconds)
    }
}

/// A report's epoch row. Named here because Engine has an `EpochRecord` too (the trainer's), which
/// this module's files name `Engine.EpochRecord`.
typealias EpochRecord = Reporting.EpochRecord
