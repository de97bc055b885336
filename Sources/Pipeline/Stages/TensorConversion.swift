// Between the engine's float tensors and the store's safetensors values, and int32 arrays.
import Engine
import Foundation
import Store

/// Calls `body` with sources borrowing the memory of engine tensors: weights go to the store
/// without a copy.
func withTensorSources<R>(_ tensors: [(name: String, tensor: Tensor)], _ body: ([TensorSource]) throws -> R) rethrows -> R {
    try body(tensors.map { named in
        TensorSource(name: named.name, dtype: .f32, shape: named.tensor.shape,
                     bytes: UnsafeRawBufferPointer(start: named.tensor.data, count: named.tensor.count * 4))
    })
}

extension NamedTensor {
    func int32Values() throws -> [Int32] {
        try requireDType(.i32)
        return data.withUnsafeBytes { raw in (0..<shape.reduce(1, *)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) } }
    }

    /// The tensor as an engine tensor; float32 only (weights are stored as written).
    func engineTensor() throws -> Tensor {
        try requireDType(.f32)
        let tensor = Tensor(zeros: shape)
        data.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(tensor.data).copyMemory(from: raw.baseAddress!, byteCount: min(raw.count, tensor.count * 4))
        }
        return tensor
    }

    private func requireDType(_ expected: TensorDType) throws {
        guard dtype == expected else {
            throw StageError.malformedTensor(name: name, reason: "has dtype \(dtype.rawValue), expected \(expected.rawValue)")
        }
    }
}

extension TensorArchive {
    /// The tensor called `name`, or an error naming what the archive holds.
    func require(_ name: String) throws -> NamedTensor {
        guard let tensor = self[name] else {
            throw StageError.malformedTensor(name: name, reason: "is missing; the artifact holds " + tensors.map(\.name).joined(separator: ", "))
        }
        return tensor
    }

    /// The tensors whose names pass `included`, as engine tensors by name; each must be float32.
    func engineTensors(where included: (String) -> Bool = { _ in true }) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: try tensors.filter { included($0.name) }.map { ($0.name, try $0.engineTensor()) })
    }
}
