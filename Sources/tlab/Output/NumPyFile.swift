// The NumPy `.npy` v1.0 layout, written by hand: magic, version, header length, a Python dict literal
// padded so the data starts at a multiple of 64, then the raw little-endian C-order elements.
import Foundation
import Store

enum NumPyFile {
    /// The `descr` NumPy gives `dtype`, or nil when NumPy has no such type (bfloat16, 8-bit floats).
    static func descr(for dtype: TensorDType) -> String? {
        switch dtype {
        case .bool: return "|b1"
        case .u8: return "|u1"
        case .i8: return "|i1"
        case .i16: return "<i2"
        case .u16: return "<u2"
        case .f16: return "<f2"
        case .i32: return "<i4"
        case .u32: return "<u4"
        case .f32: return "<f4"
        case .f64: return "<f8"
        case .i64: return "<i8"
        case .u64: return "<u8"
        case .bf16, .f8e5m2, .f8e4m3: return nil
        }
    }

    /// The bytes before the data: `\x93NUMPY`, version 1.0, the header length (u16 LE) and the dict,
    /// as `np.save` writes them, spare spaces included, so the files match byte for byte.
    static func header(descr: String, shape: [Int]) -> Data {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }"
        // NumPy leaves room to grow the first axis to 21 digits so a header can be rewritten in place.
        if let first = shape.first { dict += String(repeating: " ", count: 21 - String(first).count) }
        let prefixBytes = 6 + 2 + 2
        let unpadded = prefixBytes + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(dict.utf8))
        return data
    }

    /// The whole `.npy` file of `tensor`.
    static func encode(_ tensor: NamedTensor) throws -> Data {
        guard let descr = descr(for: tensor.dtype) else {
            throw CommandError.noNumPyType(tensor: tensor.name, dtype: tensor.dtype)
        }
        return header(descr: descr, shape: tensor.shape) + tensor.data
    }
}
