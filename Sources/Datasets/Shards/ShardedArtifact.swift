// A sharded data set as a user inspects it: its tensors under the names a whole-in-one artifact
// gives them (`train_images`, `test_labels`, `validation_features`), each read shard by shard, so
// `tlab show` and `tlab export` never hold more than one shard.
import Foundation
import Store

/// The tensors of a shard manifest, readable piece by piece.
public struct ShardedArtifact {
    /// One tensor of the data set: a split's examples or labels, all shards together.
    public struct Tensor: Equatable, Sendable {
        public let name: String
        public let dtype: TensorDType
        /// [count] + the example shape, or [count] for labels.
        public let shape: [Int]
    }

    private let manifest: ShardManifest

    /// The artifact whose JSON is `data`, or nil when it is not a shard manifest.
    public init?(manifestJSON data: Data) {
        guard let manifest = try? ShardManifest.decode(data) else { return nil }
        self.manifest = manifest
    }

    /// `<split>_<tensor>` and `<split>_labels` for each split, by name.
    public var tensors: [Tensor] {
        manifest.splits.keys.sorted().flatMap { split -> [Tensor] in
            let count = manifest.splits[split]!.count
            return [Tensor(name: split + "_" + manifest.tensor, dtype: manifest.elementType, shape: [count] + manifest.shape),
                    Tensor(name: split + "_" + ShardManifest.labelsTensor, dtype: .i32, shape: [count])]
        }
    }

    /// The number of blobs holding examples.
    public var shardCount: Int { manifest.splits.values.reduce(0) { $0 + $1.shards.count } }

    public var metadata: [String: String] { manifest.metadata }

    /// Calls `body` with consecutive pieces of tensor `name` (each verified against its hash), in order.
    public func forEachPiece(of name: String, blobs: BlobStore, _ body: (NamedTensor) throws -> Void) throws {
        for (splitName, split) in manifest.splits {
            if name == splitName + "_" + ShardManifest.labelsTensor {
                return try body(try blobs.readTensors(split.labels).dataSetTensor(ShardManifest.labelsTensor))
            }
            if name == splitName + "_" + manifest.tensor {
                for shard in split.shards { try body(try blobs.readTensors(shard.hash).dataSetTensor(manifest.tensor)) }
                return
            }
        }
        throw DatasetError.missingTensor(name, present: tensors.map(\.name))
    }
}
