// Why safetensors bytes could not be read or written; each case names the tensor or field at fault.

/// A problem with safetensors bytes or with tensors handed to the encoder.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// Fewer than 8 bytes, or the file ends inside the header or the data.
    case truncated(expectedBytes: Int64, actualBytes: Int64)
    /// The 8-byte length prefix announces a header larger than the format allows or the file holds.
    case headerTooLarge(bytes: UInt64, limit: Int64)
    /// The header is not UTF-8 JSON or not a JSON object.
    case headerNotJSON(String)
    /// A tensor entry lacks a field or has one of the wrong type.
    case invalidField(tensor: String, field: String, problem: String)
    case unknownDType(tensor: String, dtype: String)
    /// `data_offsets` leave a gap, overlap another tensor, or run backwards.
    case invalidOffsets(tensor: String, begin: Int64, end: Int64, expectedBegin: Int64)
    /// The byte range does not hold shape × element size bytes.
    case sizeMismatch(tensor: String, shape: [Int], dtype: TensorDType, expectedBytes: Int64, actualBytes: Int64)
    /// The bytes continue past the last tensor's end.
    case trailingBytes(Int64)
    case duplicateName(String)
    /// A destination buffer given for a tensor cannot hold it.
    case destinationTooSmall(tensor: String, neededBytes: Int64, givenBytes: Int)

    public var description: String {
        switch self {
        case let .truncated(expected, actual):
            return "safetensors bytes end early: \(actual) bytes where \(expected) are needed"
        case let .headerTooLarge(bytes, limit):
            return "safetensors header length \(bytes) is absurd: at most \(limit) bytes are allowed here"
        case let .headerNotJSON(problem):
            return "safetensors header is not a JSON object: \(problem)"
        case let .invalidField(tensor, field, problem):
            return "safetensors tensor '\(tensor)': field '\(field)' \(problem)"
        case let .unknownDType(tensor, dtype):
            let known = TensorDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "safetensors tensor '\(tensor)': unknown dtype '\(dtype)' (known: \(known))"
        case let .invalidOffsets(tensor, begin, end, expectedBegin):
            return "safetensors tensor '\(tensor)': data_offsets [\(begin), \(end)] must start at \(expectedBegin) (no gaps or overlaps) and not run backwards"
        case let .sizeMismatch(tensor, shape, dtype, expected, actual):
            return "safetensors tensor '\(tensor)': shape \(shape) of \(dtype.rawValue) needs \(expected) bytes, but \(actual) are given"
        case let .trailingBytes(count):
            return "safetensors bytes continue \(count) bytes past the last tensor"
        case let .duplicateName(name):
            return "two tensors are named '\(name)'; names must be unique"
        case let .destinationTooSmall(tensor, needed, given):
            return "destination for tensor '\(tensor)' holds \(given) bytes, \(needed) are needed"
        }
    }
}
