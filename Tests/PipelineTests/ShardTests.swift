// Sharded data sets: whatever the shard size, a split reads back as exactly the floats the whole set
// converted in memory gives, in any order the trainer asks for; a damaged shard is an error, not
// wrong data.
@testable import Datasets
import Engine
import Foundation
@testable import Pipeline
import Store
import XCTest
import TestSupport

final class ShardTests: XCTestCase {
    private func makeBlobs() throws -> BlobStore {
        let root = URL(fileURLWithPath: try makeTemporaryDirectory(self)).appendingPathComponent("store")
        addTeardownBlock { _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", root.path]).waitUntilExit() }
        return try BlobStore.open(root: root)
    }

    /// 37 synthetic 3x12x12 images written as split "train" with shards of at most `shardBytes`.
    private func write(_ set: ImageDataset, shardBytes: Int, blobs: BlobStore) throws -> ShardManifest {
        let writer = ShardedDatasetWriter(blobs: blobs, tensor: "images", dtype: .u8, shape: [3, 12, 12],
                                          maxShardBytes: shardBytes, splits: ["train"])
        guard case .uint8(let pixels) = set.pixels else { throw XCTSkip("uint8 expected") }
        try pixels.withUnsafeBytes { try writer["train"].append($0, labels: set.labels) }
        return try writer.finish()
    }

    func testEveryShardSizeReadsBackTheInMemoryFloatsInAnyOrder() throws {
        let blobs = try makeBlobs()
        let set = try SyntheticImages.generate(count: 37, channels: 3, side: 12, seed: 5)
        let normalization = try set.channelStatistics()
        let inMemory = LabeledExamples(inputs: Tensor(shape: [37, 3, 12, 12], values: try set.floatPixels(normalization: normalization)),
                                       labels: set.labels.map(Int.init))
        let order = CounterRandom(seed: 2).permutation(37)
        let batches = stride(from: 0, to: 37, by: 8).map { Array(order[$0 ..< min($0 + 8, 37)]) }
        let expected = try batches.map { try inMemory.batch($0) }
        // One image is 432 bytes: shards of 1, 5 and all 37 images.
        // Unpacked into memory or, with no memory allowed, into a scratch file read with pread.
        for (shardBytes, memoryLimit) in [(432, 0), (5 * 432 + 100, 0), (1 << 20, 0), (5 * 432 + 100, 1 << 20)] {
            let manifest = try write(set, shardBytes: shardBytes, blobs: blobs)
            XCTAssertEqual(manifest.splits["train"]?.shards.count, (37 + shardBytes / 432 - 1) / (shardBytes / 432))
            let source = try ShardedExamples(manifest, split: "train", blobs: blobs,
                                             scratch: URL(fileURLWithPath: try makeTemporaryDirectory(self)),
                                             normalization: normalization, memoryLimit: memoryLimit)
            XCTAssertEqual(source.inMemory, memoryLimit > 0)
            for (indices, want) in zip(batches, expected) {
                let got = try source.batch(indices)
                XCTAssertEqual(got.inputs.array, want.inputs.array, "shards of \(shardBytes) bytes, memory \(memoryLimit)")
                XCTAssertEqual(got.labels, want.labels)
            }
            XCTAssertEqual(try source.batch(Array(0..<37)).inputs.array, inMemory.inputs.array, "in order, one read")
        }
    }

    func testFloatFeaturesRoundTrip() throws {
        let blobs = try makeBlobs()
        let features: [Float] = (0..<126).map { Float($0) / 4 - 3 }
        let writer = ShardedDatasetWriter(blobs: blobs, tensor: "features", dtype: .f32, shape: [2, 3, 3],
                                          maxShardBytes: 3 * 72, splits: ["test"])
        try features.withUnsafeBytes { try writer["test"].append($0, labels: [0, 1, 0, 1, 0, 1, 1]) }
        let manifest = try writer.finish()
        XCTAssertEqual(manifest.splits["test"]?.shards.map(\.count), [3, 3, 1])
        let source = try ShardedExamples(manifest, split: "test", blobs: blobs,
                                         scratch: URL(fileURLWithPath: try makeTemporaryDirectory(self)), normalization: nil, memoryLimit: 0)
        let (inputs, labels) = try source.batch([6, 0, 3])
        XCTAssertEqual(labels, [1, 0, 1])
        let expected: [Float] = [6, 0, 3].flatMap { (i: Int) -> [Float] in Array(features[i * 18 ..< i * 18 + 18]) }
        XCTAssertEqual(inputs.array, expected)
    }

    func testADamagedShardFailsTheReadInsteadOfFeedingWrongPixels() throws {
        let blobs = try makeBlobs()
        let set = try SyntheticImages.generate(count: 10, channels: 3, side: 12, seed: 5)
        let manifest = try write(set, shardBytes: 4 * 432, blobs: blobs)
        let damaged = try XCTUnwrap(manifest.splits["train"]?.shards.last?.hash)
        let path = blobs.root.appendingPathComponent("blobs/\(damaged.prefix(2))/\(damaged.dropFirst(2)).zst").path
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["u+w", path]).waitUntilExit()
        // Another valid blob's bytes under this one's name: decompresses fine, hashes wrong.
        let other = try blobs.put(Data(repeating: 7, count: 2 * 432 + 300))
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: blobs.root.appendingPathComponent("blobs/\(other.hash.prefix(2))/\(other.hash.dropFirst(2)).zst").path,
                                         toPath: path)
        let source = try ShardedExamples(manifest, split: "train", blobs: blobs,
                                         scratch: URL(fileURLWithPath: try makeTemporaryDirectory(self)),
                                         normalization: .unitRange, memoryLimit: 0)
        XCTAssertNoThrow(try source.batch([0, 1, 2, 3]), "the first shard is intact")
        XCTAssertThrowsError(try source.batch([9])) { error in
            XCTAssertTrue("\(error)".contains(damaged), "\(error)")
        }
    }
}
