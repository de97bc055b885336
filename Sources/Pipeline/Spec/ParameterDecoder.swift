// Decodes a stage's resolved parameters into its kind's typed `Parameters`. Property names map to
// parameter names by snake_case (`earlyStoppingPatience` reads `early_stopping_patience`); a
// property naming no parameter of the kind is an error at decoding, so a misspelt name fails the
// test that decodes every kind's defaults rather than reading as absent.

extension StageParameters {
    /// These parameters as `T`; a mismatch between `T` and the kind's schema is a programming error.
    func decoded<T: Decodable>(as type: T.Type) -> T {
        do {
            return try T(from: ParameterDecoder(parameters: self))
        } catch {
            preconditionFailure("\(kind) parameters do not decode as \(T.self): \(error)")
        }
    }
}

/// Parameters several kinds share (the training ones, a backbone's architecture), decoded from the
/// same flat set as the kind's own: a property of this type names a group, not a parameter.
protocol ParameterGroup: Decodable {}

/// A `Decoder` over one stage's resolved parameters.
struct ParameterDecoder: Decoder {
    let parameters: StageParameters
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Parameters<Key>(parameters: parameters))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "stage parameters are named"))
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "stage parameters are named"))
    }

    /// The parameter a coding key names: the key itself, or its camelCase spelled in snake_case.
    static func parameterName(_ key: CodingKey) -> String {
        var name = ""
        for character in key.stringValue {
            if character.isUppercase {
                name += "_" + character.lowercased()
            } else {
                name.append(character)
            }
        }
        return name
    }

    private struct Parameters<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let parameters: StageParameters
        var codingPath: [CodingKey] { [] }
        var allKeys: [Key] {
            parameters.values.keys.compactMap { name in
                parameters.kind.schema.parameters.first { $0.name == name }.flatMap { _ in Key(stringValue: name) }
            }
        }

        func contains(_ key: Key) -> Bool { (try? spec(key)).map { parameters.values[$0.name] != nil } ?? true }

        func decodeNil(forKey key: Key) throws -> Bool { parameters.values[try spec(key).name] == nil }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decodeAny(type, forKey: key) }

        // The primitive requirements, each through the generic decode.
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeAny(type, forKey: key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeAny(type, forKey: key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeAny(type, forKey: key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeAny(type, forKey: key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeAny(type, forKey: key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeAny(type, forKey: key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeAny(type, forKey: key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeAny(type, forKey: key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeAny(type, forKey: key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeAny(type, forKey: key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeAny(type, forKey: key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeAny(type, forKey: key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeAny(type, forKey: key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeAny(type, forKey: key) }

        private func decodeAny<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            if let group = type as? ParameterGroup.Type {
                return try group.init(from: ParameterDecoder(parameters: parameters)) as! T
            }
            let spec = try spec(key)
            guard let value = parameters.values[spec.name] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription:
                    "\(parameters.kind) parameter '\(spec.name)' has no value and no default: make the property optional"))
            }
            return try T(from: ValueDecoder(value: value, codingPath: [key]))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "parameters are not nested"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try ValueDecoder(value: parameters.values[try spec(key).name] ?? .ints([]), codingPath: [key]).unkeyedContainer()
        }

        func superDecoder() throws -> Decoder { ParameterDecoder(parameters: parameters) }
        func superDecoder(forKey key: Key) throws -> Decoder { ParameterDecoder(parameters: parameters) }

        private func spec(_ key: Key) throws -> ParameterSpec {
            let name = ParameterDecoder.parameterName(key)
            guard let spec = parameters.kind.schema.parameter(name) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription:
                    "\(parameters.kind) stages have no parameter '\(name)' (property '\(key.stringValue)')"))
            }
            return spec
        }
    }
}

/// A `Decoder` over one parameter value: a single value, or for a list of integers an unkeyed one.
private struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: ParameterValue
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw mismatch(type)
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case let .ints(items) = value else { throw mismatch([Int].self) }
        return Items(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool {
        guard case let .bool(v) = value else { throw mismatch(type) }
        return v
    }
    func decode(_ type: String.Type) throws -> String {
        guard case let .string(v) = value else { throw mismatch(type) }
        return v
    }
    func decode(_ type: Double.Type) throws -> Double {
        guard case let .float(v) = value else { throw mismatch(type) }
        return v
    }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int {
        guard case let .int(v) = value else { throw mismatch(type) }
        return v
    }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
    // Integer parameters are Int.
    func decode(_ type: Int8.Type) throws -> Int8 { throw mismatch(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { throw mismatch(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { throw mismatch(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { throw mismatch(type) }
    func decode(_ type: UInt.Type) throws -> UInt { throw mismatch(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { throw mismatch(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { throw mismatch(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { throw mismatch(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { throw mismatch(type) }

    private func mismatch(_ type: Any.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "the parameter's value is \(value)"))
    }

    /// The items of a list-of-integers parameter.
    private struct Items: UnkeyedDecodingContainer {
        let items: [Int]
        let codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex == items.count }

        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "past the list's end"))
            }
            defer { currentIndex += 1 }
            return try T(from: ValueDecoder(value: .int(items[currentIndex]), codingPath: codingPath))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "a list of integers"))
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Int].self, .init(codingPath: codingPath, debugDescription: "a list of integers"))
        }
        mutating func superDecoder() throws -> Decoder { ValueDecoder(value: .ints(items), codingPath: codingPath) }
    }
}
