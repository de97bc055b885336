// What a stage's key is computed from, kept as a value so it can be recorded with a run and later
// compared to explain why a stage would run again.
import Foundation
import Store

/// The artifact an input of a stage read: its content hash and the stage that produced it.
public struct InputArtifact: Hashable, Sendable {
    /// Which stage produced it; for messages only, not part of the key (content decides).
    public let stage: String
    /// SHA-256 of the artifact's content.
    public let hash: String

    public init(stage: String, hash: String) {
        self.stage = stage
        self.hash = hash
    }
}

/// A stage's cache key: SHA-256 of its `KeyMaterial`'s canonical encoding.
public struct StageKey: Hashable, Sendable, CustomStringConvertible {
    /// 64 lowercase hex characters.
    public let hex: String
    /// The first 12 hex characters, for listings.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
}

/// Everything that decides what a stage produces: kind, stage and engine versions, the parameters
/// that are in the key (defaults included, normalised by type), and the hashes of its inputs.
public struct KeyMaterial: Hashable, Sendable {
    public let kind: StageKind
    public let stageVersion: Int
    public let engineVersion: Int
    /// Only the parameters whose schema says they are in the key.
    public let parameters: [String: ParameterValue]
    /// Input name (as the executor names what it feeds the stage, e.g. `data/train`) → artifact.
    public let inputs: [String: InputArtifact]

    /// The material of `stage` fed with `inputs`, at the current versions unless given.
    public init(stage: PlannedStage, inputs: [String: InputArtifact],
                stageVersion: Int? = nil, engineVersion: Int = StageKind.engineVersion) {
        self.init(kind: stage.kind, stageVersion: stageVersion ?? stage.kind.version, engineVersion: engineVersion,
                  parameters: Dictionary(uniqueKeysWithValues: stage.parameters.keyed.map { ($0.name, $0.value) }),
                  inputs: inputs)
    }

    init(kind: StageKind, stageVersion: Int, engineVersion: Int, parameters: [String: ParameterValue],
         inputs: [String: InputArtifact]) {
        self.kind = kind
        self.stageVersion = stageVersion
        self.engineVersion = engineVersion
        self.parameters = parameters
        self.inputs = inputs
    }

    /// SHA-256 over a length-prefixed, typed encoding, so no two different materials share bytes:
    /// names and strings carry their length, values their type, floats their IEEE-754 bits, and
    /// parameters and inputs go in name order.
    public var key: StageKey {
        var bytes = CanonicalBytes()
        bytes.append("transferlab.stage-key.v1")
        bytes.append(kind.rawValue)
        bytes.append(UInt64(stageVersion))
        bytes.append(UInt64(engineVersion))
        bytes.append(UInt64(parameters.count))
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            bytes.append(name)
            bytes.append(value)
        }
        bytes.append(UInt64(inputs.count))
        for (name, input) in inputs.sorted(by: { $0.key < $1.key }) {
            bytes.append(name)
            bytes.append(input.hash)
        }
        return StageKey(hex: Digest.sha256Hex(bytes.data))
    }

    /// The parameters as canonical JSON (sorted keys, no spaces).
    public var parametersJSON: String {
        "{" + parameters.sorted { $0.key < $1.key }.map { jsonStringLiteral($0.key) + ":" + $0.value.json }
            .joined(separator: ",") + "}"
    }

    /// The whole material as canonical JSON, to record with a run and read back with
    /// `init(json:)`: `{"engine":1,"inputs":{NAME:{"hash":H,"stage":S}},"kind":K,"params":{…},"version":1}`.
    public var json: String {
        let inputs = self.inputs.sorted { $0.key < $1.key }.map {
            jsonStringLiteral($0.key) + ":{\"hash\":" + jsonStringLiteral($0.value.hash) + ",\"stage\":" + jsonStringLiteral($0.value.stage) + "}"
        }
        return "{\"engine\":\(engineVersion),\"inputs\":{" + inputs.joined(separator: ",") + "},\"kind\":"
            + jsonStringLiteral(kind.rawValue) + ",\"params\":" + parametersJSON + ",\"version\":\(stageVersion)}"
    }
}

/// Bytes for hashing: every variable-length item is prefixed with its length, every value with
/// its type, integers are 8 bytes big-endian.
private struct CanonicalBytes {
    var data = Data()

    mutating func append(_ n: UInt64) {
        withUnsafeBytes(of: n.bigEndian) { data.append(contentsOf: $0) }
    }

    mutating func append(_ s: String) {
        let utf8 = Array(s.utf8)
        append(UInt64(utf8.count))
        data.append(contentsOf: utf8)
    }

    mutating func append(_ value: ParameterValue) {
        switch value {
        case .int(let v): data.append(UInt8(ascii: "i")); append(UInt64(bitPattern: Int64(v)))
        case .float(let v): data.append(UInt8(ascii: "f")); append(v.bitPattern)
        case .bool(let v): data.append(UInt8(ascii: "b")); data.append(v ? 1 : 0)
        case .string(let v): data.append(UInt8(ascii: "s")); append(v)
        case .ints(let v):
            data.append(UInt8(ascii: "l"))
            append(UInt64(v.count))
            for element in v { append(UInt64(bitPattern: Int64(element))) }
        }
    }
}
