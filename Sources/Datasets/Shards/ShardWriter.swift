// Writing a sharded data set split by split: examples appended in order, a shard blob put into the
// store as soon as enough have gathered, so at most one shard per split is ever held.
import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// Writes one split: examples appended in order, each shard put as soon as it is full.
package final class ShardWriter {
    package let tensor: String
    package let dtype: TensorDType
    package let shape: [Int]
    /// Examples per shard: as many as fit in the shard size, at least one.
    package let examplesPerShard: Int
    private let blobs: BlobStore
    private let exampleBytes: Int
    private var pending: [UInt8] = []
    private var labels: [Int32] = []
    private var shards: [ShardManifest.Shard] = []

    package init(blobs: BlobStore, tensor: String, dtype: TensorDType, shape: [Int], maxShardBytes: Int) {
        self.blobs = blobs
        self.tensor = tensor
        self.dtype = dtype
        self.shape = shape
        exampleBytes = shape.reduce(1, *) * dtype.byteSize
        examplesPerShard = max(1, maxShardBytes / max(exampleBytes, 1))
    }

    /// Appends `labels.count` examples whose bytes (`labels.count` × the example size, little-endian)
    /// are `bytes`.
    package func append(_ bytes: UnsafeRawBufferPointer, labels newLabels: [Int32]) throws {
        precondition(bytes.count == newLabels.count * exampleBytes,
                     "\(bytes.count) bytes for \(newLabels.count) examples of \(exampleBytes) bytes")
        var offset = 0
        for label in newLabels {
            if pending.isEmpty { pending.reserveCapacity(min(examplesPerShard, 1 << 16) * exampleBytes) }
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + exampleBytes]))
            labels.append(label)
            offset += exampleBytes
            if pending.count == examplesPerShard * exampleBytes { try flush() }
        }
    }

    /// Puts what is left as the last shard, and the labels; returns the split's manifest entry.
    package func finish() throws -> ShardManifest.Split {
        try flush()
        let labelsBlob = try labels.map(\.littleEndian).withUnsafeBytes { bytes in
            try blobs.putTensors([TensorSource(name: ShardManifest.labelsTensor, dtype: .i32, shape: [labels.count], bytes: bytes)])
        }
        return ShardManifest.Split(count: labels.count, labels: labelsBlob.hash, shards: shards)
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        let n = pending.count / exampleBytes
        let blob = try pending.withUnsafeBytes { bytes in
            try blobs.putTensors([TensorSource(name: tensor, dtype: dtype, shape: [n] + shape, bytes: bytes)])
        }
        shards.append(ShardManifest.Shard(hash: blob.hash, count: n))
        pending.removeAll(keepingCapacity: true)
        releaseFreedMemory()
    }
}

/// The writers of every split of one sharded data set, and its manifest when they are done.
package final class ShardedDatasetWriter {
    package let tensor: String
    package let dtype: TensorDType
    package let shape: [Int]
    package private(set) var writers: [String: ShardWriter] = [:]

    package init(blobs: BlobStore, tensor: String, dtype: TensorDType, shape: [Int], maxShardBytes: Int, splits: [String]) {
        self.tensor = tensor
        self.dtype = dtype
        self.shape = shape
        for split in splits {
            writers[split] = ShardWriter(blobs: blobs, tensor: tensor, dtype: dtype, shape: shape, maxShardBytes: maxShardBytes)
        }
    }

    package subscript(split: String) -> ShardWriter { writers[split]! }

    package func finish(metadata: [String: String] = [:]) throws -> ShardManifest {
        var splits: [String: ShardManifest.Split] = [:]
        for (name, writer) in writers { splits[name] = try writer.finish() }
        return ShardManifest(tensor: tensor, dtype: dtype.rawValue, shape: shape, splits: splits, metadata: metadata)
    }
}

/// Hands memory the process freed back to the system. glibc keeps freed blocks of up to 64 MiB per
/// thread arena for reuse (its thresholds grow with the largest block freed), so a stage streaming a
/// data set through shard-sized buffers on several threads would keep hundreds of MiB resident it no
/// longer uses. Called once per shard, where it costs a few milliseconds against seconds of work.
func releaseFreedMemory() {
    _ = mallocTrim?(0)
}

/// glibc's `malloc_trim`, which Swift's Glibc module does not export; nil on other C libraries.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    #if canImport(Glibc)
    guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    #else
    return nil
    #endif
}()
