// One split of a raw data set as preprocess reads it: every label up front (subsets and splits are
// decided from labels alone), then the pixels in order, a chunk at a time, so a data set larger than
// memory streams through.
import Foundation
import Store

/// The labels and uint8 CHW pixels of one split of a downloaded data set.
package protocol RawImages {
    var labels: [Int32] { get }
    /// [C, H, W] of every image.
    var shape: [Int] { get }
    /// Calls `body` with consecutive runs of images in order: the index of the run's first image and
    /// its pixels (a whole number of images).
    func forEachChunk(_ body: (_ first: Int, _ pixels: UnsafeBufferPointer<UInt8>) throws -> Void) throws
}

/// A split a reader produced in memory (the IDX files, the CIFAR-10 tarball): one chunk.
package struct InMemoryImages: RawImages {
    package let dataset: ImageDataset

    package init(dataset: ImageDataset) { self.dataset = dataset }

    package var labels: [Int32] { dataset.labels }
    package var shape: [Int] { [dataset.channels, dataset.height, dataset.width] }

    package func forEachChunk(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard case .uint8(let pixels) = dataset.pixels else {
            throw DatasetError.invalidParameter("only uint8 images are stored as artifacts")
        }
        try pixels.withUnsafeBufferPointer { try body(0, $0) }
    }
}

/// A split of a sharded uint8 data set (the synthetic download): one chunk per shard.
package struct ShardedImages: RawImages {
    package let labels: [Int32]
    package let shape: [Int]
    private let shards: [ShardManifest.Shard]
    private let tensor: String
    private let blobs: BlobStore

    package init(_ manifest: ShardManifest, split: String, blobs: BlobStore) throws {
        let part = try manifest.split(split)
        guard manifest.elementType == .u8 else {
            throw DatasetError.badLayout(file: "shard manifest", detail: "\(manifest.tensor) is \(manifest.dtype), raw images must be U8")
        }
        labels = try blobs.readTensors(part.labels).dataSetTensor(ShardManifest.labelsTensor).labelValues()
        shape = manifest.shape
        shards = part.shards
        tensor = manifest.tensor
        self.blobs = blobs
    }

    package func forEachChunk(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let imageBytes = shape.reduce(1, *)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, (shards.map(\.count).max() ?? 0) * imageBytes), alignment: 64)
        defer { buffer.deallocate() }
        var first = 0
        for shard in shards {
            // Each shard decompressed straight into one reused buffer, and verified, before it is used.
            var found = false
            try blobs.readTensors(shard.hash) { entry in
                guard entry.name == tensor, entry.shape == [shard.count] + shape else { return nil }
                found = true
                return buffer
            }
            guard found else {
                throw DatasetError.shapeMismatch("shard \(shard.hash.prefix(12)) holds no \(tensor) of shape \([shard.count] + shape)")
            }
            try body(first, UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: shard.count * imageBytes))
            first += shard.count
        }
    }
}
