// Reading a recorded KeyMaterial back from its JSON, typing each parameter by the current schema.
import Foundation

/// A recorded key material that cannot be read back.
public enum KeyRecordError: Error, Equatable, CustomStringConvertible {
    case malformed(String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(json, reason):
            return "recorded stage key material \(json.prefix(80)) cannot be read: \(reason); record it with KeyMaterial.json"
        }
    }
}

/// A JSON value, decoded without guessing: a number without a fraction stays an integer.
private enum JSONValue: Decodable {
    case bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var object: [String: JSONValue]? { if case let .object(o) = self { return o }; return nil }
    var int: Int? { if case let .int(v) = self { return v }; return nil }
    var string: String? { if case let .string(v) = self { return v }; return nil }

    /// This value as a parameter of `type` (an integer is a valid float); for a parameter the
    /// schema no longer has (`type` nil), the closest shape.
    func parameter(as type: ParameterType?) -> ParameterValue? {
        switch (self, type) {
        case let (.bool(v), .bool?), let (.bool(v), nil): return .bool(v)
        case let (.int(v), .int?), let (.int(v), nil): return .int(v)
        case let (.int(v), .float?): return .float(Double(v))
        case let (.double(v), .float?), let (.double(v), nil): return .float(v)
        case let (.string(v), .string?), let (.string(v), .choice?), let (.string(v), nil): return .string(v)
        case let (.array(items), .ints?), let (.array(items), nil):
            let ints = items.compactMap(\.int)
            return ints.count == items.count ? .ints(ints) : nil
        default: return nil
        }
    }
}

extension KeyMaterial {
    /// Reads material recorded with `json`. Parameters are typed by the kind's current schema, so
    /// a recorded `1` for a float parameter compares equal to `1.0`.
    public init(json: String) throws {
        let fail = { (reason: String) in KeyRecordError.malformed(json, reason: reason) }
        let root: [String: JSONValue]
        do {
            guard let object = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)).object else {
                throw fail("not a JSON object")
            }
            root = object
        } catch let error as KeyRecordError {
            throw error
        } catch {
            throw fail("not JSON")
        }
        guard let kindName = root["kind"]?.string, let kind = StageKind(rawValue: kindName) else {
            throw fail("no known 'kind'")
        }
        guard let version = root["version"]?.int, let engine = root["engine"]?.int,
              let params = root["params"]?.object, let inputs = root["inputs"]?.object else {
            throw fail("it needs version, engine, params and inputs")
        }
        let schema = kind.schema
        var parameters = [String: ParameterValue]()
        for (name, value) in params {
            guard let typed = value.parameter(as: schema.parameter(name)?.type) else {
                throw fail("parameter '\(name)' has a value of the wrong type")
            }
            parameters[name] = typed
        }
        var artifacts = [String: InputArtifact]()
        for (name, value) in inputs {
            guard let hash = value.object?["hash"]?.string, let stage = value.object?["stage"]?.string else {
                throw fail("input '\(name)' needs hash and stage")
            }
            artifacts[name] = InputArtifact(stage: stage, hash: hash)
        }
        self.init(kind: kind, stageVersion: version, engineVersion: engine, parameters: parameters, inputs: artifacts)
    }
}
