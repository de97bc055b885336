// The shape of a stage kind: its parameters (type, range, default, doc), its inputs, and the
// rules that tie parameters together. The tables themselves are in StageSchemas.swift.
import Store
import Yams

/// What values a parameter takes. Ranges are inclusive.
public enum ParameterType: Hashable, Sendable, CustomStringConvertible {
    case int(ClosedRange<Int>)
    case float(ClosedRange<Double>)
    case bool
    case string
    case ints(ClosedRange<Int>)
    /// One of fixed words; an entry `prefix:<what>` admits any `prefix:` followed by a name.
    case choice([String])

    /// What a valid value looks like, for error messages.
    public var description: String {
        switch self {
        case .int(let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .float(let r): return "a number in \(r.lowerBound)...\(r.upperBound)"
        case .bool: return "true or false"
        case .string: return "a string"
        case .ints(let r): return "a list of integers in \(r.lowerBound)...\(r.upperBound), like [0, 1, 2]"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        }
    }
}

/// Where a parameter's value comes from when a file does not state it.
public enum ParameterDefault: Hashable, Sendable {
    case value(ParameterValue)
    /// The pipeline's `seed`.
    case pipelineSeed
    /// No value: the parameter is optional and absent (a `Requirement` may still demand it).
    case absent
    /// The file must state it.
    case required
}

/// One parameter of a stage kind.
public struct ParameterSpec: Sendable {
    public let name: String
    public let type: ParameterType
    public let defaultValue: ParameterDefault
    /// False for parameters that change how a stage runs but not what it produces (a mirror URL,
    /// an inference batch size): they stay out of the key, so changing them reruns nothing.
    public let inKey: Bool
    /// False for a parameter added after keys were first recorded whose default reproduces what
    /// stages did before it existed: at its default it stays out of the key, so those keys (and the
    /// stored results behind them) stay valid; any other value is in the key.
    public let inKeyAtDefault: Bool
    public let doc: String

    init(_ name: String, _ type: ParameterType, _ defaultValue: ParameterDefault, inKey: Bool = true,
         inKeyAtDefault: Bool = true, _ doc: String) {
        self.name = name; self.type = type; self.defaultValue = defaultValue; self.inKey = inKey
        self.inKeyAtDefault = inKeyAtDefault; self.doc = doc
    }

    /// Whether `value` of this parameter goes into a stage's key.
    func keys(_ value: ParameterValue) -> Bool {
        inKey && (inKeyAtDefault || defaultValue != .value(value))
    }

    /// The scalar or list `node` read as this parameter's type, or the reason it cannot be.
    func value(of node: Node, at location: SourceLocation) throws -> ParameterValue {
        let invalid = PipelineError.invalidValue(location, parameter: name, value: shown(node), expected: type.description)
        switch type {
        case .ints(let range):
            guard case let .sequence(items) = node else { throw invalid }
            let ints = items.map { plainScalar($0).flatMap { Int($0) } }
            guard ints.allSatisfy({ $0.map(range.contains) == true }) else { throw invalid }
            return .ints(ints.map { $0! })
        case .string:
            guard case let .scalar(s) = node else { throw invalid }
            if hasURLUserInfo(s.string) {
                // The value goes verbatim into the stage key, the lineage and `push`ed copies.
                throw PipelineError.invalidValue(location, parameter: name, value: shown(node),
                                                 expected: "a URL without a user name or password; give the credentials"
                                                    + " in a netrc file (~/.netrc or $NETRC: machine HOST login USER password PASSWORD)")
            }
            return .string(s.string)
        case .choice(let words):
            guard case let .scalar(s) = node, words.contains(where: { admits($0, s.string) }) else { throw invalid }
            return .string(s.string)
        case .bool:
            switch plainScalar(node) {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw invalid
            }
        case .int(let range):
            guard let text = plainScalar(node), let v = Int(text.replacingOccurrences(of: "_", with: "")),
                  range.contains(v) else { throw invalid }
            return .int(v)
        case .float(let range):
            guard let text = plainScalar(node), let v = Double(text.replacingOccurrences(of: "_", with: "")),
                  range.contains(v) else { throw invalid }
            return .float(v == 0 ? 0 : v)  // -0.0 and 0.0 mean the same
        }
    }
}

/// Whether `word` is admitted by a choice entry (`up-to:<layer>` admits `up-to:block2`).
private func admits(_ entry: String, _ word: String) -> Bool {
    guard let open = entry.firstIndex(of: "<") else { return entry == word }
    let prefix = entry[..<open]
    return word.hasPrefix(prefix) && word.count > prefix.count
}

/// True when `text` is a URL carrying a user name or password (`https://user:pw@host/`).
func hasURLUserInfo(_ text: String) -> Bool {
    guard let scheme = text.range(of: "://") else { return false }
    let authority = text[scheme.upperBound...].prefix { !"/?#".contains($0) }
    return authority.contains("@")
}

/// The text of an unquoted scalar: quoted `"3"` is a string, never a number or a boolean.
private func plainScalar(_ node: Node) -> String? {
    guard case let .scalar(s) = node, s.style == .plain else { return nil }
    return s.string
}

/// A node as it appears in an error message: control characters escaped, and cut after about
/// `limit` characters so a huge value shows as an excerpt.
func shown(_ node: Node, limit: Int = 120) -> String {
    var budget = limit
    return shown(node, budget: &budget)
}

private func shown(_ node: Node, budget: inout Int) -> String {
    let text: String
    switch node {
    case .scalar(let s):
        text = printable(s.style == .plain ? s.string : "\"\(s.string)\"", limit: max(budget, 1))
    case .sequence(let seq):
        var parts: [String] = []
        for item in seq {
            guard budget > 0 else {
                parts.append("… (\(seq.count - parts.count) more)")
                break
            }
            parts.append(shown(item, budget: &budget))
            budget -= 2  // the separator
        }
        return "[" + parts.joined(separator: ", ") + "]"
    case .mapping: text = "a mapping"
    case .alias: text = "an alias"
    }
    budget -= text.count
    return text
}

/// A named input of a stage kind and which kinds of stage may feed it.
public struct PortSpec: Sendable {
    public let name: String
    public let accepts: [StageKind]
    /// Required unless this parameter is set (pretrain needs no data when it imports weights) or
    /// has the value given (fine-tune needs no backbone when `init` is `random`): nil means always.
    let requiredUnless: (parameter: String, value: ParameterValue?)?
    /// Takes a list of stages (the report gathers every variant's evaluation).
    public let many: Bool
    /// When the parameter has the value, the stage reads only these outputs of the port, and only they
    /// are its inputs and in its key: a random-init fine-tune takes just the architecture from its
    /// backbone, so retraining the backbone does not make it run again.
    let readsOnly: (parameter: String, value: ParameterValue, outputs: Set<String>)?

    init(_ name: String, _ accepts: [StageKind], many: Bool = false, unless: (String, ParameterValue?)? = nil,
         readsOnly: (String, ParameterValue, Set<String>)? = nil) {
        self.name = name; self.accepts = accepts; self.many = many
        self.requiredUnless = unless.map { (parameter: $0.0, value: $0.1) }
        self.readsOnly = readsOnly.map { (parameter: $0.0, value: $0.1, outputs: $0.2) }
    }

    /// Whether a stage with `parameters` takes `output` through this port.
    func takes(_ output: String, with parameters: StageParameters) -> Bool {
        guard let (parameter, value, outputs) = readsOnly, parameters.values[parameter] == value else { return true }
        return outputs.contains(output)
    }
}

/// A parameter that becomes required when another has a given value (`source: url` needs `url`).
struct Requirement: Sendable {
    let parameter: String
    let value: ParameterValue
    let needs: [String]
}

/// The whole shape of one stage kind.
public struct StageSchema: Sendable {
    public let kind: StageKind
    public let parameters: [ParameterSpec]
    public let ports: [PortSpec]
    let requirements: [Requirement]

    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
    public func port(_ name: String) -> PortSpec? { ports.first { $0.name == name } }

    /// The one rule for filling in defaults: `given` values, and for every parameter not given its
    /// default (`seed` for the pipeline's seed; nil leaves seeded ones out). Optional parameters
    /// without a value stay absent; required ones missing are the caller's to report.
    func resolved(_ given: [String: ParameterValue], seed: Int?) -> [String: ParameterValue] {
        var values = given
        for spec in parameters where values[spec.name] == nil {
            switch spec.defaultValue {
            case .value(let value): values[spec.name] = value
            case .pipelineSeed: if let seed { values[spec.name] = .int(seed) }
            case .absent, .required: break
            }
        }
        return values
    }

    /// Whether `value` is what parameter `name` takes when a file does not state it (a seeded
    /// parameter's value depends on the pipeline, so it counts as a default).
    public func isDefault(_ name: String, _ value: ParameterValue) -> Bool {
        switch parameter(name)?.defaultValue {
        case .value(let standard)?: return standard == value
        case .pipelineSeed?: return true
        default: return false
        }
    }
}
