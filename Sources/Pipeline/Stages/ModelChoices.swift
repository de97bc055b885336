// The model choices a pipeline file spells — backbone family, stem, head preset, pooling, freezing —
// each spelt once here; stage parameters, recipes and `tlab model summary` take their words from these
// types, and the engine receives the typed values they stand for.
import Engine

/// The backbone family (`model`).
enum BackboneFamily: String, CaseIterable, Codable {
    case denseNetBC = "densenet-bc"
    case denseNet121 = "densenet-121"
}

/// The first layers (`stem`): by input size, a 3x3 conv, or a 7x7/2 conv with max pool.
enum StemChoice: String, CaseIterable, Codable {
    case auto, small, imagenet
}

/// A classifier head preset (`head`); `none` is the backbone alone, as pretrain hands it on.
enum HeadPreset: String, CaseIterable, Codable {
    case linear
    case studyOptimized = "study-optimized"
    case studyFrozen = "study-frozen"
    case none

    /// The presets a stage trains (every one but `none`).
    static let trainable = allCases.filter { $0 != .none }

    /// The engine's head predicting `classes`; `pooling` applies to `linear` only.
    func head(classes: Int, pooling: PoolingChoice) -> HeadConfig {
        switch self {
        case .linear: return .linear(classes: classes, pooling: pooling.engine)
        case .studyOptimized: return .studyOptimized(classes: classes)
        case .studyFrozen: return .studyFrozen(classes: classes)
        case .none: return .none
        }
    }

    /// Whether the head has BatchNorm layers, which train in training mode even on a frozen backbone.
    var hasBatchNorm: Bool { self == .studyOptimized || self == .studyFrozen }
}

/// Global pooling of a linear head (`pooling`).
enum PoolingChoice: String, CaseIterable, Codable {
    case avg, max

    var engine: HeadConfig.Pooling { self == .avg ? .average : .max }
}

/// What the validation figures steer by (`monitor` and the callbacks' monitors), as Keras names them.
enum ValidationMetric: String, CaseIterable, Codable {
    case valAccuracy = "val_accuracy"
    case valLoss = "val_loss"

    /// The other one: it breaks ties on this one (300 images give accuracies in steps of 1/300, so
    /// epochs often tie on accuracy).
    var tieBreaker: ValidationMetric { self == .valLoss ? .valAccuracy : .valLoss }
}

extension Freezing: Codable {
    /// The spellings of `freeze`: `none`, `backbone`, `up-to:<layer>`.
    static let spellings = ["none", "backbone", "up-to:<layer>"]
    private static let upToPrefix = "up-to:"

    /// `freeze` as a pipeline file spells it.
    init(spelling: String) {
        switch spelling {
        case "none": self = .none
        case "backbone": self = .backbone
        default: self = .upTo(spelling.hasPrefix(Self.upToPrefix) ? String(spelling.dropFirst(Self.upToPrefix.count)) : spelling)
        }
    }

    /// The spelling `init(spelling:)` reads.
    var spelling: String {
        switch self {
        case .none: return "none"
        case .backbone: return "backbone"
        case .upTo(let layer): return Self.upToPrefix + layer
        }
    }

    public init(from decoder: Decoder) throws {
        self.init(spelling: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(spelling)
    }
}
