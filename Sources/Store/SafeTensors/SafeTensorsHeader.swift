// The safetensors header: planning a layout the way the reference writer does, serialising it to the
// exact bytes, and parsing and validating a header read back.
import Foundation

/// One tensor as the header describes it.
public struct TensorEntry: Equatable, Sendable {
    public let name: String
    public let dtype: TensorDType
    public let shape: [Int]
    /// Byte range within the data section (the `data_offsets` pair, end exclusive).
    public let dataOffsets: Range<Int64>

    public var byteCount: Int64 { dataOffsets.upperBound - dataOffsets.lowerBound }
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The parsed or planned header of a safetensors file: its tensors in data order and its metadata.
public struct SafeTensorsHeader: Equatable, Sendable {
    /// The reference implementation refuses longer headers; so do we.
    public static let maxHeaderBytes: Int64 = 100_000_000

    /// Tensors sorted by their data offsets.
    public let entries: [TensorEntry]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Length of the JSON header including its space padding (the value of the 8-byte prefix).
    public let headerBytes: Int64

    public var dataBytes: Int64 { entries.last?.dataOffsets.upperBound ?? 0 }
    /// Length of the whole safetensors file.
    public var fileBytes: Int64 { 8 + headerBytes + dataBytes }

    public func entry(named name: String) -> TensorEntry? { entries.first { $0.name == name } }

    /// Plans the layout of `tensors` as the reference writer does: sorted by dtype rank, largest first,
    /// then by name; contiguous from offset 0. Checks names are unique and shapes are non-negative.
    public init(tensors: [(name: String, dtype: TensorDType, shape: [Int])], metadata: [String: String] = [:]) throws {
        var seen = Set<String>()
        for t in tensors where !seen.insert(t.name).inserted { throw SafeTensorsError.duplicateName(t.name) }
        let ordered = tensors.sorted { a, b in
            if a.dtype.layoutRank != b.dtype.layoutRank { return a.dtype.layoutRank > b.dtype.layoutRank }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var offset: Int64 = 0
        var entries: [TensorEntry] = []
        for t in ordered {
            let bytes = try Self.byteCount(of: t.shape, dtype: t.dtype, tensor: t.name)
            entries.append(TensorEntry(name: t.name, dtype: t.dtype, shape: t.shape, dataOffsets: offset..<offset + bytes))
            offset += bytes
        }
        self.entries = entries
        self.metadata = metadata
        headerBytes = Int64(Self.json(entries: entries, metadata: metadata).count)
    }

    private init(entries: [TensorEntry], metadata: [String: String], headerBytes: Int64) {
        self.entries = entries
        self.metadata = metadata
        self.headerBytes = headerBytes
    }

    /// The first `8 + headerBytes` bytes of the file: length prefix, JSON, space padding.
    public func serialized() -> Data {
        let json = Self.json(entries: entries, metadata: metadata)
        var out = Data(capacity: 8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }

    /// The header JSON as serde_json writes the reference `Metadata`: `__metadata__` first (keys sorted
    /// here, where Rust's HashMap order is arbitrary), tensors in data order, fields dtype, shape,
    /// data_offsets, no spaces; padded with spaces to a multiple of 8.
    private static func json(entries: [TensorEntry], metadata: [String: String]) -> [UInt8] {
        var s = "{"
        var first = true
        if !metadata.isEmpty {
            s += "\"__metadata__\":{"
            s += metadata.keys.sorted().map { "\(jsonStringLiteral($0)):\(jsonStringLiteral(metadata[$0]!))" }.joined(separator: ",")
            s += "}"
            first = false
        }
        for e in entries {
            if !first { s += "," }
            first = false
            let shape = e.shape.map(String.init).joined(separator: ",")
            s += "\(jsonStringLiteral(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],"
            s += "\"data_offsets\":[\(e.dataOffsets.lowerBound),\(e.dataOffsets.upperBound)]}"
        }
        s += "}"
        var bytes = Array(s.utf8)
        bytes += Array(repeating: UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
        return bytes
    }

    static func byteCount(of shape: [Int], dtype: TensorDType, tensor: String) throws -> Int64 {
        var count = Int64(dtype.byteSize)
        for dim in shape {
            guard dim >= 0 else {
                throw SafeTensorsError.invalidField(tensor: tensor, field: "shape", problem: "has negative dimension \(dim)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int64(dim))
            guard !overflow else {
                throw SafeTensorsError.invalidField(tensor: tensor, field: "shape", problem: "\(shape) overflows a 64-bit byte count")
            }
            count = product
        }
        return count
    }

    // MARK: Parsing

    /// Parses and validates the JSON header (the `headerBytes` bytes after the length prefix): dtypes
    /// known, offsets contiguous from 0 in offset order, each range exactly shape × element size.
    public static func parse(json: Data) throws -> SafeTensorsHeader {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw SafeTensorsError.headerNotJSON("\(error.localizedDescription)")
        }
        guard let top = object as? [String: Any] else {
            throw SafeTensorsError.headerNotJSON("the top level is not an object")
        }
        var metadata: [String: String] = [:]
        var entries: [TensorEntry] = []
        for (name, value) in top {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafeTensorsError.invalidField(tensor: name, field: name, problem: "must be an object of strings")
                }
                for (key, item) in map {
                    guard let text = item as? String else {
                        throw SafeTensorsError.invalidField(tensor: name, field: key, problem: "must be a string")
                    }
                    metadata[key] = text
                }
            } else {
                entries.append(try entry(name, value))
            }
        }
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        var expectedBegin: Int64 = 0
        for e in entries {
            guard e.dataOffsets.lowerBound == expectedBegin else {
                throw SafeTensorsError.invalidOffsets(tensor: e.name, begin: e.dataOffsets.lowerBound,
                                                      end: e.dataOffsets.upperBound, expectedBegin: expectedBegin)
            }
            let expected = try byteCount(of: e.shape, dtype: e.dtype, tensor: e.name)
            guard expected == e.byteCount else {
                throw SafeTensorsError.sizeMismatch(tensor: e.name, shape: e.shape, dtype: e.dtype,
                                                    expectedBytes: expected, actualBytes: e.byteCount)
            }
            expectedBegin = e.dataOffsets.upperBound
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata, headerBytes: Int64(json.count))
    }

    private static func entry(_ name: String, _ value: Any) throws -> TensorEntry {
        guard let fields = value as? [String: Any] else {
            throw SafeTensorsError.invalidField(tensor: name, field: name, problem: "must be an object with dtype, shape, data_offsets")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw SafeTensorsError.invalidField(tensor: name, field: "dtype", problem: "is missing or not a string")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(tensor: name, dtype: dtypeName)
        }
        guard let shape = integers(fields["shape"]) else {
            throw SafeTensorsError.invalidField(tensor: name, field: "shape", problem: "must be an array of non-negative integers")
        }
        guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
            throw SafeTensorsError.invalidField(tensor: name, field: "data_offsets", problem: "must be two non-negative integers [begin, end]")
        }
        guard offsets[0] <= offsets[1] else {
            throw SafeTensorsError.invalidOffsets(tensor: name, begin: Int64(offsets[0]), end: Int64(offsets[1]),
                                                  expectedBegin: Int64(offsets[0]))
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, dataOffsets: Int64(offsets[0])..<Int64(offsets[1]))
    }

    /// The value as an array of non-negative integers, or nil (booleans and fractions are not integers).
    private static func integers(_ value: Any?) -> [Int]? {
        guard let items = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in items {
            // Foundation hands every JSON number and boolean over as NSNumber; its objCType tells them
            // apart: "c" is a boolean, "d" a fraction (even 2.0), the others integers.
            guard let number = item as? NSNumber, !["c", "d", "f"].contains(String(cString: number.objCType)),
                  let n = item as? Int, n >= 0 else { return nil }
            out.append(n)
        }
        return out
    }
}

