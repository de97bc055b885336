// A stage parameter's value once normalised by its schema type, and its canonical text forms.
import Foundation
import Store

/// A parameter value normalised by the parameter's schema type: `1e-3` and `0.001` are the same
/// `.float`, an integer written for a float parameter becomes a `.float`, so equal meanings compare
/// equal and hash to the same key.
public enum ParameterValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)
    case ints([Int])

    /// The value as a user writes it: `0.001`, `true`, `densenet-bc`, `[0, 1, 2]`.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return v.description
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return v
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// The value as a JSON fragment. Floats keep a decimal point or exponent (`1.0`, `1e-05`) so
    /// they read back as floats; strings are escaped.
    var json: String {
        switch self {
        case .int, .bool: return description
        case .float(let v): return v.description
        case .string(let v): return jsonStringLiteral(v)
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
        }
    }
}

