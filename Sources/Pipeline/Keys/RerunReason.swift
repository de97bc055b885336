// Why a stage's key differs from the one its last run had: the answer `status` and `--dry-run`
// print, in the user's terms (which parameter, input or version changed).
import Store

/// One difference between a stage's current key material and its last recorded run's.
public enum RerunReason: Hashable, Sendable, CustomStringConvertible {
    case neverRun
    case kindChanged(from: StageKind, to: StageKind)
    case stageVersionChanged(from: Int, to: Int)
    case engineVersionChanged(from: Int, to: Int)
    case parameterChanged(String, from: ParameterValue, to: ParameterValue)
    /// In the key now, not in the recorded run (an optional parameter was set, or the schema grew).
    case parameterAdded(String, ParameterValue)
    case parameterRemoved(String, was: ParameterValue)
    case inputChanged(String, stage: String)
    case inputAdded(String, stage: String)
    case inputRemoved(String, stage: String)

    /// One line; parameter values as `printable` shows them (a URL's secrets redacted, cut short).
    public var description: String { printable(message, limit: 400) }

    private var message: String {
        switch self {
        case .neverRun: return "never run"
        case let .kindChanged(from, to): return "stage kind changed \(from.rawValue) → \(to.rawValue)"
        case let .stageVersionChanged(from, to): return "stage version changed \(from) → \(to)"
        case let .engineVersionChanged(from, to): return "engine version changed \(from) → \(to)"
        case let .parameterChanged(name, _, to) where name == ExternalContent.parameter:
            return "the local files it reads changed (content now \(to.description.prefix(19))…)"
        case .parameterChanged(PlannedStage.recipeCheckParameter, _, _), .parameterAdded(PlannedStage.recipeCheckParameter, _),
             .parameterRemoved(PlannedStage.recipeCheckParameter, _):
            return "the recipe check's warnings changed (tlab check lists them)"
        case let .parameterChanged(name, from, to): return "parameter \(name) changed \(from) → \(to)"
        case let .parameterAdded(name, value): return "parameter \(name) added (\(value))"
        case let .parameterRemoved(name, was): return "parameter \(name) removed (was \(was))"
        case let .inputChanged(name, stage): return "input \(name) changed (stage \(stage) produced a different artifact)"
        case let .inputAdded(name, stage): return "input \(name) added (from stage \(stage))"
        case let .inputRemoved(name, stage): return "input \(name) removed (was from stage \(stage))"
        }
    }
}

extension KeyMaterial {
    /// Every difference from `previous`, the material of the last recorded run of the same stage
    /// name (nil: it never ran): versions first, then parameters and inputs by name. Empty when
    /// the keys agree.
    public func changes(since previous: KeyMaterial?) -> [RerunReason] {
        guard let previous else { return [.neverRun] }
        var reasons = [RerunReason]()
        if previous.kind != kind { reasons.append(.kindChanged(from: previous.kind, to: kind)) }
        if previous.stageVersion != stageVersion {
            reasons.append(.stageVersionChanged(from: previous.stageVersion, to: stageVersion))
        }
        if previous.engineVersion != engineVersion {
            reasons.append(.engineVersionChanged(from: previous.engineVersion, to: engineVersion))
        }
        for name in Set(parameters.keys).union(previous.parameters.keys).sorted() {
            switch (previous.parameters[name], parameters[name]) {
            case let (old?, new?) where old != new: reasons.append(.parameterChanged(name, from: old, to: new))
            case let (nil, new?): reasons.append(.parameterAdded(name, new))
            case let (old?, nil): reasons.append(.parameterRemoved(name, was: old))
            default: break
            }
        }
        for name in Set(inputs.keys).union(previous.inputs.keys).sorted() {
            switch (previous.inputs[name], inputs[name]) {
            case let (old?, new?) where old.hash != new.hash: reasons.append(.inputChanged(name, stage: new.stage))
            case let (nil, new?): reasons.append(.inputAdded(name, stage: new.stage))
            case let (old?, nil): reasons.append(.inputRemoved(name, stage: old.stage))
            default: break
            }
        }
        return reasons
    }
}
