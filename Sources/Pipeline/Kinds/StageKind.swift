// The name of a kind of stage, as pipeline files and lineage spell it. Which kinds exist is
// `StageRegistry`'s list; each kind's constant is declared in its own file beside its definition.

/// What a stage does: `download`, `fine-tune`, ... Two stages of the same kind run the same
/// `StageDefinition`.
public struct StageKind: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The kind as pipeline files, keys and lineage spell it.
    public let rawValue: String

    init(_ rawValue: String) { self.rawValue = rawValue }

    /// The registered kind spelled `rawValue`, or nil for a name no kind has.
    public init?(rawValue: String) {
        guard let definition = StageRegistry.definitions.first(where: { $0.kind.rawValue == rawValue }) else { return nil }
        self = definition.kind
    }

    /// Every registered kind, in the registry's order.
    public static var allCases: [StageKind] { StageRegistry.definitions.map { $0.kind } }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let kind = StageKind(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "'\(name)' is not a stage kind (known: \(Self.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        self = kind
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
