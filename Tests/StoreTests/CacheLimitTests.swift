// A capped cache in front of a remote tier: filled past its cap, it evicts the least recently used
// blobs, never one that is held, and an evicted blob is downloaded again when it is read.
import Foundation
import XCTest
@testable import Store

final class CacheLimitTests: XCTestCase {
    /// Total size of the blob files in the cache.
    private func cachedBytes(_ store: BlobStore) throws -> Int64 {
        try store.allHashes().reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: store.path(of: $1).path)[.size] as! Int64) }
    }

    func testFillingTheCacheEvictsTheLeastRecentlyUsedBlobsAndKeepsHeldOnes() throws {
        let remote = try FolderBlobRemote(folder: makeScratchFolder())
        // Random bytes do not compress: each blob file is a little over 100 kB, so three fit.
        let blobs = (0..<8).map { testBytes(100_000, seed: UInt64(1 + $0)) }
        let cap: Int64 = 3 * 100_100
        let store = try BlobStore.open(root: makeScratchFolder(), remote: remote, cacheLimit: cap)
        let hashes = try blobs.prefix(3).map { try store.put($0).hash }
        XCTAssertEqual(Set(try store.allHashes()), Set(hashes), "three blobs fit under the cap")

        // Reading blob 0 makes it the most recently used; blob 1 is the oldest now, blob 2 is held.
        XCTAssertEqual(try store.read(hashes[0]), blobs[0])
        let fourth = try store.holding([hashes[2]]) { () throws -> String in
            XCTAssertEqual(try store.read(hashes[1]), blobs[1])
            XCTAssertEqual(try store.read(hashes[0]), blobs[0])
            // Blob 2 is the least recently used and would go first, but it is held: blob 1 goes.
            return try store.put(blobs[3]).hash
        }
        XCTAssertEqual(Set(try store.allHashes()), Set([hashes[0], hashes[2], fourth]))
        XCTAssertLessThanOrEqual(try cachedBytes(store), cap)

        // Filling on: the cache stays under its cap, and every blob is still readable (downloaded again).
        var all = hashes + [fourth]
        for data in blobs.dropFirst(4) {
            all.append(try store.put(data).hash)
            XCTAssertLessThanOrEqual(try cachedBytes(store), cap)
        }
        XCTAssertEqual(try store.allHashes().count, 3)
        for (hash, data) in zip(all, blobs) { XCTAssertEqual(try store.read(hash), data) }
        XCTAssertLessThanOrEqual(try cachedBytes(store), cap)
        XCTAssertEqual(try remote.allBlobs().count, 8, "eviction leaves the remote alone")
    }

    func testUsesInQuickSuccessionAreOrderedNotTied() throws {
        // The kernel's own "now" advances once a tick (up to 10 ms): reads within a tick would tie
        // and eviction would choose between them by name.
        let store = try BlobStore.open(root: makeScratchFolder(), remote: FolderBlobRemote(folder: makeScratchFolder()),
                                       cacheLimit: 1 << 30)
        let hashes = try (0..<4).map { try store.put(testBytes(1000, seed: UInt64(20 + $0))).hash }
        for hash in hashes.reversed() { _ = try store.read(hash) }
        let used = try hashes.map { hash -> Int64 in
            var status = stat()
            XCTAssertEqual(stat(try store.path(of: hash).path, &status), 0)
            return Int64(status.st_atim.tv_sec) * 1_000_000_000 + Int64(status.st_atim.tv_nsec)
        }
        XCTAssertEqual(used, used.sorted(by: >), "read last, used last")
        XCTAssertEqual(Set(used).count, 4, "no two uses tie")
    }

    func testAStoreWithoutARemoteNeverEvicts() throws {
        let store = try BlobStore.open(root: makeScratchFolder(), cacheLimit: 1000)
        let hashes = try (0..<3).map { try store.put(testBytes(5000, seed: UInt64(10 + $0))).hash }
        XCTAssertEqual(try store.allHashes(), hashes.sorted(), "a local store's blobs are its only copies")
    }

    func testSizesAreReadAsPeopleWriteThem() {
        XCTAssertEqual(ByteCount.parse("50 GiB"), 50 << 30)
        XCTAssertEqual(ByteCount.parse("800MB"), 800_000_000)
        XCTAssertEqual(ByteCount.parse("1.5 TB"), 1_500_000_000_000)
        XCTAssertEqual(ByteCount.parse("4096"), 4096)
        for bad in ["", "lots", "5 GB extra", "0", "-3 MB", "5 gib", "1e30 TB"] { XCTAssertNil(ByteCount.parse(bad), bad) }
    }
}
