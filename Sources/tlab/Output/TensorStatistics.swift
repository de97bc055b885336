// Minimum, maximum and mean of a stored tensor's elements, read from its little-endian bytes in any
// numeric safetensors dtype, for `tlab show`.
import Foundation
import Store

/// Summary figures of one tensor. NaN elements are counted apart and left out of the figures.
struct TensorStatistics: Encodable, Equatable {
    let min: Double?
    let max: Double?
    let mean: Double?
    let nanCount: Int

    /// The figures of `tensor`, or nil for dtypes without a numeric reading here (the 8-bit floats).
    init?(_ tensor: NamedTensor) {
        guard var figures = Accumulator(tensor.dtype) else { return nil }
        figures.add(tensor)
        self = figures.statistics
    }

    private init(min: Double?, max: Double?, mean: Double?, nanCount: Int) {
        (self.min, self.max, self.mean, self.nanCount) = (min, max, mean, nanCount)
    }

    /// Figures gathered over the pieces of one tensor (the shards of a data set), in any number.
    struct Accumulator {
        private let read: ElementReader
        private var low = Double.infinity, high = -Double.infinity, sum = 0.0, counted = 0, nans = 0

        /// Nil for dtypes without a numeric reading here (the 8-bit floats).
        init?(_ dtype: TensorDType) {
            guard let read = TensorStatistics.reader(for: dtype) else { return nil }
            self.read = read
        }

        mutating func add(_ piece: NamedTensor) {
            let size = piece.dtype.byteSize
            piece.data.withUnsafeBytes { bytes in
                var offset = 0
                while offset + size <= bytes.count {
                    let value = read(bytes, offset)
                    offset += size
                    if value.isNaN { nans += 1; continue }
                    low = Swift.min(low, value)
                    high = Swift.max(high, value)
                    sum += value
                    counted += 1
                }
            }
        }

        var statistics: TensorStatistics {
            TensorStatistics(min: counted > 0 ? low : nil, max: counted > 0 ? high : nil,
                             mean: counted > 0 ? sum / Double(counted) : nil, nanCount: nans)
        }
    }

    /// Reads one element at a byte offset as a Double.
    private typealias ElementReader = (UnsafeRawBufferPointer, Int) -> Double

    private static func reader(for dtype: TensorDType) -> ElementReader? {
        func little<T: FixedWidthInteger>(_: T.Type) -> (UnsafeRawBufferPointer, Int) -> T {
            { bytes, offset in T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        switch dtype {
        case .bool, .u8: return { Double($0[$1]) }
        case .i8: return { Double(Int8(bitPattern: $0[$1])) }
        case .i16: return { Double(little(Int16.self)($0, $1)) }
        case .u16: return { Double(little(UInt16.self)($0, $1)) }
        case .i32: return { Double(little(Int32.self)($0, $1)) }
        case .u32: return { Double(little(UInt32.self)($0, $1)) }
        case .i64: return { Double(little(Int64.self)($0, $1)) }
        case .u64: return { Double(little(UInt64.self)($0, $1)) }
        case .f16: return { Double(Float16(bitPattern: little(UInt16.self)($0, $1))) }
        // bfloat16 is the top half of a float32.
        case .bf16: return { Double(Float(bitPattern: UInt32(little(UInt16.self)($0, $1)) << 16)) }
        case .f32: return { Double(Float(bitPattern: little(UInt32.self)($0, $1))) }
        case .f64: return { Double(bitPattern: little(UInt64.self)($0, $1)) }
        case .f8e5m2, .f8e4m3: return nil
        }
    }
}
