// Encoding tensors to safetensors bytes (streamed from caller memory, or in memory) and decoding them
// back (pushed through a decoder into caller memory, or in memory).
import Foundation

/// A tensor to encode, borrowing its little-endian, row-major bytes from the caller (no copy is made).
public struct TensorSource {
    public let name: String
    public let dtype: TensorDType
    public let shape: [Int]
    public let bytes: UnsafeRawBufferPointer

    public init(name: String, dtype: TensorDType, shape: [Int], bytes: UnsafeRawBufferPointer) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }
}

/// A tensor held in memory.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var dtype: TensorDType
    public var shape: [Int]
    /// Little-endian, row-major element bytes.
    public var data: Data

    public init(name: String, dtype: TensorDType, shape: [Int], data: Data) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }
}

/// The whole content of a small safetensors file, in memory.
public struct TensorArchive: Equatable, Sendable {
    /// In data order when decoded; any order when encoding.
    public var tensors: [NamedTensor]
    public var metadata: [String: String]

    public init(tensors: [NamedTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> NamedTensor? { tensors.first { $0.name == name } }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header, then the tensors'
/// bytes back to back. `zstd -d` of a tensor blob gives a file Python's `safetensors` loads.
public enum SafeTensors {
    /// The header `tensors` will get, after checking each byte count matches its shape and dtype.
    public static func header(for tensors: [TensorSource], metadata: [String: String] = [:]) throws -> SafeTensorsHeader {
        let header = try SafeTensorsHeader(tensors: tensors.map { ($0.name, $0.dtype, $0.shape) }, metadata: metadata)
        for t in tensors {
            let expected = header.entry(named: t.name)!.byteCount
            guard Int64(t.bytes.count) == expected else {
                throw SafeTensorsError.sizeMismatch(tensor: t.name, shape: t.shape, dtype: t.dtype,
                                                    expectedBytes: expected, actualBytes: Int64(t.bytes.count))
            }
        }
        return header
    }

    /// Streams the safetensors bytes of `tensors` to `sink`: the header, then each tensor's bytes
    /// straight from the caller's memory in the reference layout order. Returns the header written.
    @discardableResult
    public static func encode(_ tensors: [TensorSource], metadata: [String: String] = [:],
                              to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> SafeTensorsHeader {
        let header = try header(for: tensors, metadata: metadata)
        try header.serialized().withUnsafeBytes { try sink($0) }
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        for entry in header.entries where entry.byteCount > 0 {
            try sink(byName[entry.name]!.bytes)
        }
        return header
    }

    /// The safetensors bytes of a small archive.
    public static func encode(_ archive: TensorArchive) throws -> Data {
        var out = Data()
        try withSources(archive.tensors) { sources in
            try encode(sources, metadata: archive.metadata) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Decodes complete safetensors bytes held in memory.
    public static func decode(_ bytes: Data) throws -> TensorArchive {
        let jsonLength = try headerLength(prefix: bytes.prefix(8), available: Int64(bytes.count))
        let header = try SafeTensorsHeader.parse(json: bytes.dropFirst(8).prefix(Int(jsonLength)))
        let total = Int64(bytes.count)
        guard total >= header.fileBytes else { throw SafeTensorsError.truncated(expectedBytes: header.fileBytes, actualBytes: total) }
        guard total == header.fileBytes else { throw SafeTensorsError.trailingBytes(total - header.fileBytes) }
        let base = bytes.startIndex + 8 + Int(jsonLength)
        let tensors = header.entries.map { e in
            NamedTensor(name: e.name, dtype: e.dtype, shape: e.shape,
                        data: Data(bytes[(base + Int(e.dataOffsets.lowerBound))..<(base + Int(e.dataOffsets.upperBound))]))
        }
        return TensorArchive(tensors: tensors, metadata: header.metadata)
    }

    /// The JSON header length from the 8-byte prefix, checked against the format's limit and against
    /// the bytes available (`available` counts the whole file, prefix included, when known).
    static func headerLength(prefix: Data, available: Int64?) throws -> Int64 {
        guard prefix.count == 8 else { throw SafeTensorsError.truncated(expectedBytes: 8, actualBytes: Int64(prefix.count)) }
        let length = prefix.reduce(into: (value: UInt64(0), shift: UInt64(0))) { acc, byte in
            acc.value |= UInt64(byte) << acc.shift
            acc.shift += 8
        }.value
        let limit = min(SafeTensorsHeader.maxHeaderBytes, (available ?? Int64.max) - 8)
        guard length <= UInt64(max(limit, 0)) else { throw SafeTensorsError.headerTooLarge(bytes: length, limit: limit) }
        return Int64(length)
    }

    /// Calls `body` with borrowed sources for in-memory tensors, keeping every buffer pinned meanwhile.
    @discardableResult
    static func withSources<R>(_ tensors: [NamedTensor], _ body: ([TensorSource]) throws -> R) throws -> R {
        func pin(_ index: Int, _ pinned: [TensorSource]) throws -> R {
            guard index < tensors.count else { return try body(pinned) }
            let t = tensors[index]
            return try t.data.withUnsafeBytes { bytes in
                try pin(index + 1, pinned + [TensorSource(name: t.name, dtype: t.dtype, shape: t.shape, bytes: bytes)])
            }
        }
        return try pin(0, [])
    }
}
