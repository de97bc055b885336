// A JSON value kept as written (integers stay integers), for the JSON lineage holds as text:
// a stage run's parameters and key material.
import Foundation

/// Any JSON value. Decodes from and encodes to the same JSON, so lineage's JSON columns can be
/// printed inside other JSON as objects rather than as strings.
public enum JSONValue: Codable, Sendable, Equatable {
    case bool(Bool), int(Int), number(Double), string(String), list([JSONValue]), object([String: JSONValue]), null

    /// The value `text` holds, or nil when it is not JSON.
    public init?(parsing text: String) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        self = value
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .list(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .bool(v): try c.encode(v)
        case let .int(v): try c.encode(v)
        case let .number(v): try c.encode(v)
        case let .string(v): try c.encode(v)
        case let .list(v): try c.encode(v)
        case let .object(v): try c.encode(v)
        case .null: try c.encodeNil()
        }
    }
}
