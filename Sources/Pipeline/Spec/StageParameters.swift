// A stage's resolved parameters: every schema parameter with its stated or default value, typed.
import Store

/// The parameters a stage runs with, defaults filled in. Stage implementations read them typed:
/// `parameters.int("epochs")`, `parameters.double("lr")`. Asking for a name the kind does not have,
/// or as the wrong type, is a programming error and traps with the name.
public struct StageParameters: Hashable, Sendable {
    public let kind: StageKind
    /// Name → value; optional parameters that were not given are absent.
    public let values: [String: ParameterValue]

    init(kind: StageKind, values: [String: ParameterValue]) {
        self.kind = kind
        self.values = values
    }

    public func int(_ name: String) -> Int {
        guard case let .int(v) = require(name) else { mistyped(name, "int") }
        return v
    }

    public func double(_ name: String) -> Double {
        guard case let .float(v) = require(name) else { mistyped(name, "float") }
        return v
    }

    public func bool(_ name: String) -> Bool {
        guard case let .bool(v) = require(name) else { mistyped(name, "bool") }
        return v
    }

    public func string(_ name: String) -> String {
        guard case let .string(v) = require(name) else { mistyped(name, "string") }
        return v
    }

    public func ints(_ name: String) -> [Int] {
        guard case let .ints(v) = require(name) else { mistyped(name, "list of int") }
        return v
    }

    /// An optional string parameter (`url`, `weights`, `title`): nil when not given.
    public func optionalString(_ name: String) -> String? {
        guard StageSchema.of(kind).parameter(name) != nil else { unknown(name) }
        guard let value = values[name] else { return nil }
        guard case let .string(v) = value else { mistyped(name, "string") }
        return v
    }

    /// The parameters that define what the stage produces, sorted by name: what the key hashes.
    public var keyed: [(name: String, value: ParameterValue)] {
        values.filter { StageSchema.of(kind).parameter($0.key)?.keys($0.value) ?? true }
            .sorted { $0.key < $1.key }
            .map { (name: $0.key, value: $0.value) }
    }

    /// `keyed` as canonical JSON (sorted keys, no spaces), for the lineage database.
    public var json: String {
        "{" + keyed.map { jsonStringLiteral($0.name) + ":" + $0.value.json }.joined(separator: ",") + "}"
    }

    private func require(_ name: String) -> ParameterValue {
        guard StageSchema.of(kind).parameter(name) != nil else { unknown(name) }
        guard let value = values[name] else {
            preconditionFailure("\(kind.rawValue) parameter '\(name)' has no value and no default; read it with optionalString")
        }
        return value
    }

    private func unknown(_ name: String) -> Never {
        preconditionFailure("\(kind.rawValue) stages have no parameter '\(name)'")
    }

    private func mistyped(_ name: String, _ asked: String) -> Never {
        preconditionFailure("\(kind.rawValue) parameter '\(name)' is \(StageSchema.of(kind).parameter(name)!.type), not \(asked)")
    }
}
