// `cache_max:` in a store file: a size people write, handed to the blob store of an S3 tier, and
// refused, naming the value and what would be valid, where it cannot mean anything.
import Foundation
import Store
import XCTest
@testable import Pipeline

final class StoreFileCacheMaxTests: XCTestCase {
    private let lineage = "lineage: postgresql://tlab@db.example.org/tlab\n"

    func testACapIsReadAsASizeAndReachesTheBlobStore() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-cache-max-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: cache) }
        let file = try SharedStoreFile(yaml: lineage + "blobs: s3://bucket/team\ncache: \(cache.path)\ncache_max: 2 GiB\n", file: "team.yaml")
        XCTAssertEqual(file.cacheMax, 2 << 30)
        XCTAssertEqual(try SharedStoreFile(yaml: lineage + "blobs: s3://bucket/team\ncache_max: 5000000\n", file: "t.yaml").cacheMax, 5_000_000)
        XCTAssertNil(try SharedStoreFile(yaml: lineage + "blobs: s3://bucket/team\n", file: "t.yaml").cacheMax)

        // Opening sends no request; the remote only needs credentials to exist.
        for (name, value) in ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"]
        where ProcessInfo.processInfo.environment[name] == nil {
            setenv(name, value, 1)
            addTeardownBlock { unsetenv(name) }
        }
        XCTAssertEqual(try file.blobs.open(create: true, cache: file.cache, cacheLimit: file.cacheMax).cacheLimit, 2 << 30)
    }

    func testABadCapIsRefusedNamingTheValue() {
        XCTAssertThrowsError(try SharedStoreFile(yaml: lineage + "blobs: s3://bucket/team\ncache_max: lots\n", file: "team.yaml")) { error in
            XCTAssertEqual("\(error)", "team.yaml: 'cache_max' must be a size such as 50 GiB, 800 MB or a number of bytes, not 'lots'; "
                + "see docs/shared-store.md for the format")
        }
        XCTAssertThrowsError(try SharedStoreFile(yaml: lineage + "blobs: /nfs/blobs\ncache_max: 1 GB\n", file: "team.yaml")) { error in
            XCTAssertTrue("\(error)".contains("'cache_max' caps the cache of an s3:// 'blobs:'"), "\(error)")
        }
    }
}
