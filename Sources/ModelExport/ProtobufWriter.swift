// The protobuf wire format, encoding only: enough to write the handful of ONNX messages an exported
// model needs (ONNXMessages.swift), so no protobuf library or code generator enters the build.

/// One protobuf message being encoded: fields are appended in the order written.
///
/// Repeated scalars are written one tag per element (proto2's unpacked form, which onnx.proto
/// declares); every protobuf parser reads that form. Bulk floats go into `bytes` fields instead.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 { case varint = 0, fixed32 = 5, lengthDelimited = 2 }

    private mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// An int32/int64/enum field; negative values take ten bytes, as the format defines.
    mutating func int(_ field: Int, _ value: Int) {
        tag(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func ints(_ field: Int, _ values: [Int]) {
        for value in values { int(field, value) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        tag(field, .fixed32)
        append(littleEndian: value.bitPattern)
    }

    mutating func floats(_ field: Int, _ values: [Float]) {
        for value in values { float(field, value) }
    }

    mutating func string(_ field: Int, _ value: String) {
        byteString(field, Array(value.utf8))
    }

    mutating func strings(_ field: Int, _ values: [String]) {
        for value in values { string(field, value) }
    }

    /// A `bytes` field.
    mutating func byteString(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A float array as little-endian bytes (ONNX `raw_data`), written straight from `values`.
    mutating func floatBytes(_ field: Int, _ values: UnsafeBufferPointer<Float>) {
        tag(field, .lengthDelimited)
        varint(UInt64(values.count * 4))
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values { append(littleEndian: value.bitPattern) }
    }

    mutating func message(_ field: Int, _ message: ProtobufWriter) {
        byteString(field, message.bytes)
    }

    mutating func messages(_ field: Int, _ messages: [ProtobufWriter]) {
        for message in messages { self.message(field, message) }
    }

    private mutating func append(littleEndian value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
