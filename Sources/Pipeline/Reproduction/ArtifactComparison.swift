// How a recomputed artifact differs from the recorded one, in terms a reader can act on: which
// tensor and by how much for tensors, which field for JSON, which line for text.
import Foundation
import Store

/// The difference between a recorded artifact and its recomputation.
public struct ArtifactDifference: Equatable, Sendable, CustomStringConvertible {
    /// The stage output (`weights`, `evaluation`).
    public let output: String
    /// The tensor with the largest absolute difference, when both are tensor artifacts.
    public let tensor: String?
    /// That tensor's largest |recorded − recomputed|, over its float elements.
    public let largestAbsoluteDifference: Double?
    /// What else differs, in words: how many tensors, the first differing field or line.
    public let detail: String

    public var description: String {
        var text = "output \(output)"
        if let tensor { text += ", tensor \(tensor)" }
        if let largestAbsoluteDifference { text += ", largest |\u{0394}| \(Self.scientific(largestAbsoluteDifference))" }
        return text + (detail.isEmpty ? "" : " (\(detail))")
    }

    static func scientific(_ value: Double) -> String { String(format: "%.3g", value) }
}

enum ArtifactComparison {
    /// Nil when the bytes are equal; otherwise what differs, read as `mediaType` says.
    static func difference(output: String, recorded: Data, recomputed: Data, mediaType: MediaType) -> ArtifactDifference? {
        guard recorded != recomputed else { return nil }
        switch mediaType {
        case .tensor:
            if let a = try? SafeTensors.decode(recorded), let b = try? SafeTensors.decode(recomputed) {
                return tensors(output: output, a, b)
            }
        case .json:
            if let a = try? JSONSerialization.jsonObject(with: recorded, options: [.fragmentsAllowed]),
               let b = try? JSONSerialization.jsonObject(with: recomputed, options: [.fragmentsAllowed]),
               let path = firstDifference(a, b, path: "") {
                return ArtifactDifference(output: output, tensor: nil, largestAbsoluteDifference: nil, detail: path)
            }
        default:
            if let a = String(data: recorded, encoding: .utf8), let b = String(data: recomputed, encoding: .utf8) {
                let (linesA, linesB) = (a.components(separatedBy: "\n"), b.components(separatedBy: "\n"))
                let line = zip(linesA, linesB).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(linesA.count, linesB.count)
                return ArtifactDifference(output: output, tensor: nil, largestAbsoluteDifference: nil,
                                          detail: "text differs from line \(line + 1)")
            }
        }
        let offset = zip(recorded, recomputed).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(recorded.count, recomputed.count)
        return ArtifactDifference(output: output, tensor: nil, largestAbsoluteDifference: nil,
                                  detail: "bytes differ from offset \(offset) (\(recorded.count) recorded, \(recomputed.count) now)")
    }

    /// The tensor whose float values moved most, and how many tensors differ at all.
    private static func tensors(output: String, _ recorded: TensorArchive, _ recomputed: TensorArchive) -> ArtifactDifference {
        let names = Set(recorded.tensors.map(\.name)).symmetricDifference(recomputed.tensors.map(\.name)).sorted()
        var differing = 0, worst: (name: String, value: Double)?
        for tensor in recorded.tensors {
            guard let other = recomputed[tensor.name], other != tensor else { continue }
            differing += 1
            let delta = largestDifference(tensor, other)
            if worst == nil || delta > worst!.value { worst = (tensor.name, delta) }
        }
        var detail = "\(differing) of \(recorded.tensors.count) tensors differ"
        if !names.isEmpty { detail += "; only in one of them: " + names.joined(separator: ", ") }
        if recorded.metadata != recomputed.metadata { detail += "; metadata differs" }
        return ArtifactDifference(output: output, tensor: worst?.name, largestAbsoluteDifference: worst?.value.isFinite == true
                                  ? worst?.value : nil, detail: detail)
    }

    /// max |a − b| over elements for float32 tensors of one shape; infinity when shapes or types differ.
    private static func largestDifference(_ a: NamedTensor, _ b: NamedTensor) -> Double {
        guard a.dtype == b.dtype, a.shape == b.shape, a.data.count == b.data.count else { return .infinity }
        guard a.dtype == .f32 else { return zip(a.data, b.data).contains { $0 != $1 } ? .infinity : 0 }
        return a.data.withUnsafeBytes { x in
            b.data.withUnsafeBytes { y in
                var largest = 0.0
                for i in 0..<(a.data.count / 4) {
                    let p = Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    let q = Float(bitPattern: UInt32(littleEndian: y.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    let d = Double(abs(p - q))
                    if d > largest || d.isNaN { largest = d.isNaN ? .infinity : d }
                }
                return largest
            }
        }
    }

    /// The path of the first differing value (`summary.curves[3].validationAccuracy: 0.8 → 0.81`).
    private static func firstDifference(_ a: Any, _ b: Any, path: String) -> String? {
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            for key in Set(x.keys).union(y.keys).sorted() {
                let here = path.isEmpty ? key : "\(path).\(key)"
                guard let u = x[key], let v = y[key] else { return "field \(here) is only in one of them" }
                if let found = firstDifference(u, v, path: here) { return found }
            }
            return nil
        case let (x as [Any], y as [Any]):
            guard x.count == y.count else { return "\(path) has \(x.count) entries recorded, \(y.count) now" }
            for (index, (u, v)) in zip(x, y).enumerated() {
                if let found = firstDifference(u, v, path: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            let (x, y) = ("\(a)", "\(b)")
            return x == y ? nil : "field \(path): \(x) recorded, \(y) now"
        }
    }
}
