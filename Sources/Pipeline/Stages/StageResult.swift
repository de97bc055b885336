// What a stage hands back: named outputs the executor stores as blobs, and curve points for lineage.
import Engine
import Foundation
import Store

/// One output of a stage, before it is stored.
enum StageOutput {
    /// Small tensors held in memory (images as uint8, labels as int32), stored as safetensors.
    case tensors(TensorArchive)
    /// Engine tensors (weights, features), streamed from their memory into a safetensors blob.
    case weights([(name: String, tensor: Tensor)], metadata: [String: String])
    /// A JSON document, already encoded.
    case json(Data)
    /// Markdown, CSV or SVG.
    case text(String, MediaType)
    /// A file kept byte for byte (a downloaded archive).
    case file(URL)
    /// Bytes made in memory (an ONNX model), stored as they are.
    case bytes(Data)
    /// A blob the stage already put into the store while it ran (a shard of a data set too large to
    /// hold): only recorded.
    case stored(hash: String, MediaType)

    /// `value` as canonical JSON (sorted keys), so equal values give equal blobs.
    static func json<T: Encodable>(_ value: T) throws -> StageOutput {
        .json(try canonicalJSON(value))
    }

    var mediaType: MediaType {
        switch self {
        case .tensors, .weights: return .tensor
        case .json: return .json
        case .text(_, let type): return type
        case .file, .bytes: return .raw
        case .stored(_, let type): return type
        }
    }

    /// Stores the output as one blob.
    func put(into blobs: BlobStore) throws -> BlobInfo {
        switch self {
        case .tensors(let archive): return try blobs.putTensors(archive)
        case let .weights(tensors, metadata): return try withTensorSources(tensors) { try blobs.putTensors($0, metadata: metadata) }
        case .json(let data): return try blobs.put(data)
        case .text(let text, _): return try blobs.put(Data(text.utf8))
        case .file(let url): return try blobs.put(fileAt: url)
        case .bytes(let data): return try blobs.put(data)
        case .stored(let hash, _): return try blobs.info(hash)
        }
    }
}

/// Everything a stage produced.
struct StageResult {
    /// Output name → content; names are what consumers ask for (`data/target`).
    var outputs: [String: StageOutput]
    /// Curve points (per-epoch loss, accuracy, learning rate) and measurements that must not go into
    /// an artifact because they differ between identical runs (seconds, images per second).
    var metrics: [MetricPoint]

    init(outputs: [String: StageOutput], metrics: [MetricPoint] = []) {
        self.outputs = outputs
        self.metrics = metrics
    }
}

/// `value` as JSON with sorted keys and no insignificant whitespace.
func canonicalJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try encoder.encode(value)
}

/// A decoder matching `canonicalJSON`.
func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(type, from: data)
}
