// The tensors of a data set's blobs as safetensors archives hold them: one looked up by name, and a
// labels tensor as int32 values.
import Store

extension TensorArchive {
    /// The tensor called `name`, or an error naming the tensors the blob holds.
    package func dataSetTensor(_ name: String) throws -> NamedTensor {
        guard let tensor = self[name] else { throw DatasetError.missingTensor(name, present: tensors.map(\.name)) }
        return tensor
    }
}

extension NamedTensor {
    /// The values of an int32 tensor (a split's labels), or an error naming the dtype it has.
    package func labelValues() throws -> [Int32] {
        guard dtype == .i32 else {
            throw DatasetError.badLayout(file: "labels tensor '\(name)'", detail: "has dtype \(dtype.rawValue), expected \(TensorDType.i32.rawValue)")
        }
        return data.withUnsafeBytes { raw in
            (0..<shape.reduce(1, *)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        }
    }
}
