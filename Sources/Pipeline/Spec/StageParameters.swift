// A stage's resolved parameters: every schema parameter with its stated or default value.
import Store

/// The parameters a stage runs with, defaults filled in. A stage reads them as its kind's typed
/// `Parameters` (`decoded(as:)`); the values themselves are what keys and lineage record.
public struct StageParameters: Hashable, Sendable {
    public let kind: StageKind
    /// Name → value; optional parameters that were not given are absent.
    public let values: [String: ParameterValue]

    init(kind: StageKind, values: [String: ParameterValue]) {
        self.kind = kind
        self.values = values
    }

    /// The value of parameter `name`; nil when the kind has none of that name or it was not given.
    public subscript(_ name: String) -> ParameterValue? { values[name] }

    /// The parameters that define what the stage produces, sorted by name: what the key hashes.
    public var keyed: [(name: String, value: ParameterValue)] {
        values.filter { kind.schema.parameter($0.key)?.keys($0.value) ?? true }
            .sorted { $0.key < $1.key }
            .map { (name: $0.key, value: $0.value) }
    }

    /// `keyed` as canonical JSON (sorted keys, no spaces), for the lineage database.
    public var json: String {
        "{" + keyed.map { jsonStringLiteral($0.name) + ":" + $0.value.json }.joined(separator: ",") + "}"
    }
}
