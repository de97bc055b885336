// A data set stored as shards: per split, a labels blob and a list of tensor blobs of bounded size,
// described by a small JSON manifest. No stage has to hold a whole data set to write or read one.
import Foundation
import Store

/// The manifest of a sharded data set (a JSON artifact). Each shard is a safetensors blob holding one
/// tensor called `tensor`, of shape [n] + `shape`, the examples `first..<first + n` of its split in
/// order; each split's labels are one int32 [count] tensor blob called `labels`.
///
/// ```json
/// {"format":"transferlab.shards.v1","tensor":"images","dtype":"U8","shape":[3,32,32],
///  "splits":{"train":{"count":900,"labels":"ab12…","shards":[{"count":500,"hash":"cd34…"},…]},…},
///  "metadata":{}}
/// ```
package struct ShardManifest: Codable, Equatable {
    static let formatName = "transferlab.shards.v1"
    /// The name of the labels tensor in a split's labels blob.
    static let labelsTensor = "labels"

    package struct Shard: Codable, Equatable {
        package var hash: String
        package var count: Int
    }

    package struct Split: Codable, Equatable {
        package var count: Int
        /// The blob holding the split's labels.
        package var labels: String
        package var shards: [Shard]
    }

    package var format = Self.formatName
    /// The tensor every shard holds: `images` (uint8 pixels) or `features` (float32 activations).
    package var tensor: String
    /// Its safetensors dtype (`U8`, `F32`).
    package var dtype: String
    /// The shape of one example.
    package var shape: [Int]
    package var splits: [String: Split]
    package var metadata: [String: String] = [:]

    var elementType: TensorDType { TensorDType(rawValue: dtype) ?? .u8 }

    /// Bytes of one example.
    var exampleBytes: Int { shape.reduce(1, *) * elementType.byteSize }

    /// The split called `name`, or an error naming the splits there are.
    package func split(_ name: String) throws -> Split {
        guard let split = splits[name] else {
            throw DatasetError.unknownSplit(name, present: splits.keys.sorted())
        }
        return split
    }

    /// Every blob the manifest names, each with the output name it is registered under when the
    /// manifest is stage output `output`: `output.split.labels` and `output.split.00000`, ….
    package func blobs(as output: String) -> [(name: String, hash: String)] {
        var blobs: [(name: String, hash: String)] = []
        for (name, split) in splits.sorted(by: { $0.key < $1.key }) {
            let prefix = output + "." + name + "."
            blobs.append((prefix + "labels", split.labels))
            for (index, shard) in split.shards.enumerated() { blobs.append((prefix + Self.shardNumber(index), shard.hash)) }
        }
        return blobs
    }

    /// Whether stage output `name` is one of the blobs a manifest names (`target.train.00003`,
    /// `target.test.labels`, `images.shard.00000`) rather than an artifact in its own right: left
    /// out of listings of what a stage provides.
    package static func isPart(_ name: String) -> Bool {
        guard let last = name.split(separator: ".").last, name.contains(".") else { return false }
        return last == Substring(labelsTensor) || (last.count == 5 && last.allSatisfy(\.isNumber))
    }

    private static func shardNumber(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Parses a manifest, or fails saying the artifact is not one.
    package static func decode(_ data: Data) throws -> ShardManifest {
        let manifest = try JSONDecoder().decode(ShardManifest.self, from: data)
        guard manifest.format == formatName, TensorDType(rawValue: manifest.dtype) != nil else {
            throw DatasetError.badLayout(file: "shard manifest", detail: "format \(manifest.format) with dtype \(manifest.dtype)"
                                         + " is not \(formatName) with a safetensors dtype")
        }
        return manifest
    }
}
