// A stage run's parameters as `lineage` shows them: only those that matter (in the key, not at
// their default), read from the recorded key material.
import Foundation
import Pipeline
import Store

/// A stage run's parameters for display, as `name`, `value` pairs; values printable (URL secrets
/// redacted, control characters escaped, long ones cut).
enum StageParameterText {
    /// The parameters that matter: those in the stage key that differ from their kind's default
    /// (read from the recorded key material); every recorded parameter when there is none.
    static func notable(_ record: StageRunRecord) -> [(name: String, value: String)] {
        guard let json = record.material, let material = try? KeyMaterial(json: json) else { return pairs(record.params) }
        let schema = material.kind.schema
        return material.parameters.filter { name, value in !schema.isDefault(name, value) }.sorted { $0.key < $1.key }.map { ($0.key, printable($0.value.description.replacingOccurrences(of: ", ", with: ","))) }
    }

    /// Every parameter of a recorded JSON object: the parameters themselves, or a key material
    /// whose `params` member holds them.
    static func pairs(_ json: String) -> [(name: String, value: String)] {
        guard case let .object(object)? = JSONValue(parsing: json) else { return [] }
        let params: [String: JSONValue]
        if case let .object(inner)? = object["params"] { params = inner } else { params = object }
        return params.keys.sorted().map { ($0, printable(text(params[$0]!))) }
    }

    /// A value as the tree shows it: integers as integers, lists in brackets, objects as `name=value`.
    private static func text(_ value: JSONValue) -> String {
        switch value {
        case let .bool(v): return "\(v)"
        case let .int(v): return "\(v)"
        case let .number(v): return "\(v)"
        case let .string(v): return v
        case let .list(v): return "[" + v.map(text).joined(separator: ",") + "]"
        case let .object(v): return "{" + v.keys.sorted().map { "\($0)=\(text(v[$0]!))" }.joined(separator: ",") + "}"
        case .null: return "null"
        }
    }
}
