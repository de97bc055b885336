// verify and gc on a store with a remote tier: recorded blobs must be in the remote, remote copies can
// be re-hashed, and gc sweeps remote orphans only past a grace period counted from their upload.
import Foundation
import TestSupport
import XCTest
@testable import Store

final class RemoteMaintenanceTests: XCTestCase {
    private let day: TimeInterval = 86_400

    func testVerifyHoldsLineageAgainstTheRemoteAndRehashesItsCopiesOnRequest() throws {
        // Listing under a prefix needs an encoded query, which moto's signature check gets wrong.
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let recorded = try RecordedStore(root: makeScratchFolder(), remote: try moto.remote())
        let (_, hashes) = try recorded.record(key: "k", outputs: ["a": testBytes(5000, seed: 1), "b": testBytes(5000, seed: 2),
                                                                  "c": testBytes(5000, seed: 3)])
        let orphan = try recorded.store.put(testBytes(5000, seed: 4)).hash
        let (gone, damaged) = (hashes["a"]!, hashes["b"]!)
        let client = moto.client()
        try client.deleteObject(key(gone))
        var bytes = try client.getObject(key(damaged))
        bytes[bytes.count - 20] ^= 1
        try client.putObject(key(damaged), data: bytes)

        let listed = try recorded.store.verify(against: recorded.lineage)
        XCTAssertEqual(listed.remote, "s3://\(moto.bucket)/blobs")
        XCTAssertEqual(listed.remoteListed, 3)
        XCTAssertEqual(listed.missing, [gone], "recorded, but not in the bucket (the cache copy does not count)")
        XCTAssertEqual(listed.orphaned, [orphan])
        XCTAssertEqual(listed.corrupt, [], "without re-hashing, the damaged copy passes the listing")
        XCTAssertEqual(listed.checked, 4, "the cache copies were re-hashed")

        let rehashed = try recorded.store.verify(against: recorded.lineage, remoteContent: true)
        XCTAssertEqual(rehashed.remoteChecked, 3)
        XCTAssertEqual(rehashed.corrupt.map(\.hash), [damaged])
        XCTAssertEqual(rehashed.corrupt.first?.inRemote, true)
        XCTAssertNotNil(try client.headObject(key(damaged)), "only reported")

        let quarantined = try recorded.store.verify(against: recorded.lineage, quarantineCorrupt: true, remoteContent: true)
        XCTAssertEqual(quarantined.removedFromStore, [damaged])
        XCTAssertNil(try client.headObject(key(damaged)), "deleted from the bucket, so a recomputation uploads it anew")

        let after = try recorded.store.verify(against: recorded.lineage, remoteContent: true)
        XCTAssertEqual(after.missing, [gone], "the damaged artifact is marked removed, not missing")
        XCTAssertEqual(after.corrupt, [])
    }

    func testGCSweepsRemoteOrphansOnlyPastTheRemoteGraceAndKeepsWhatLineageNames() throws {
        let shared = try FolderBlobRemote(folder: makeScratchFolder().appendingPathComponent("shared"))
        let recorded = try RecordedStore(root: makeScratchFolder(), remote: shared)
        let (_, hashes) = try recorded.record(key: "k", outputs: ["weights": testBytes(5000)])
        let kept = hashes["weights"]!
        let old = try recorded.store.put(testBytes(5000, seed: 8)).hash
        let young = try recorded.store.put(testBytes(5000, seed: 9)).hash
        for hash in [kept, old] { try ageRemote(shared, hash, by: 8 * day) }
        try ageRemote(shared, young, by: 6 * day)
        // An upload left by a process that died mid-way.
        let leftover = (shared.address(of: old) as NSString).deletingLastPathComponent + "/.dead.1-x.tmp"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: leftover))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -8 * day)], ofItemAtPath: leftover)

        let dry = try recorded.store.collectGarbage(lineage: recorded.lineage, dryRun: true)
        XCTAssertEqual(dry.swept, [old])
        XCTAssertEqual(dry.spared, [young], "younger than the default remote grace of 7 days")
        XCTAssertEqual(dry.kept, 1)
        XCTAssertNotNil(try shared.head(old))

        let report = try recorded.store.collectGarbage(lineage: recorded.lineage)
        XCTAssertEqual(report.remote, shared.location)
        XCTAssertEqual(report.swept, [old])
        XCTAssertEqual(report.removedTemporaries, 1)
        XCTAssertNil(try shared.head(old))
        XCTAssertNotNil(try shared.head(young))
        XCTAssertNotNil(try shared.head(kept))
        XCTAssertFalse(recorded.store.contains(old), "its cache copy went too")
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover))
        XCTAssertFalse(try recorded.store.verify(against: recorded.lineage).isDamaged)
    }

    func testGCLeavesACopyUploadedAgainSinceItsListing() throws {
        let shared = try FolderBlobRemote(folder: makeScratchFolder())
        let store = try BlobStore.open(root: makeScratchFolder(), remote: shared)
        let hash = try store.put(testBytes(5000)).hash
        let listed = try XCTUnwrap(try shared.head(hash))
        try store.put(testBytes(5000, seed: 1))
        try ageRemote(shared, hash, by: 2 * 3600)
        try store.put(testBytes(5000))  // re-uploaded: the old copy was past the reuse window
        XCTAssertFalse(try store.removeFromRemote(hash, ifVersion: listed.version))
        XCTAssertNotNil(try shared.head(hash))
        XCTAssertTrue(try store.removeFromRemote(hash))
        XCTAssertNil(try shared.head(hash))
        XCTAssertFalse(store.contains(hash))
    }

    func testGCOnABucketSweepsOrphansAndAbortsAbandonedUploadsWithAZeroGrace() throws {
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let recorded = try RecordedStore(root: makeScratchFolder(), remote: try moto.remote())
        let (_, hashes) = try recorded.record(key: "k", outputs: ["weights": testBytes(5000)])
        let orphan = try recorded.store.put(testBytes(5000, seed: 5)).hash
        let client = moto.client()
        _ = try client.createMultipartUpload("blobs/00/abandoned.zst")

        // The set-based entry point, as a lineage backend other than SQLite would call it.
        var removedRows: [String] = []
        let report = try recorded.store.collectGarbage(policy: GCPolicy(grace: 0, remoteGrace: 0),
                                                       mark: { ([], Set(hashes.values)) },
                                                       markRemoved: { hashes, _ in removedRows += hashes })
        XCTAssertEqual(report.swept, [orphan])
        XCTAssertEqual(removedRows, [orphan], "rows are marked before anything is deleted")
        XCTAssertEqual(report.removedTemporaries, 1, "the abandoned multipart upload")
        XCTAssertEqual(try client.pendingUploads(prefix: ""), [])
        XCTAssertNil(try client.headObject(key(orphan)))
        XCTAssertNotNil(try client.headObject(key(hashes["weights"]!)))
        XCTAssertEqual(try recorded.store.remoteBlobs().map(\.hash), [hashes["weights"]!])
    }

    private func key(_ hash: String) -> String { "blobs/\(hash.prefix(2))/\(hash.dropFirst(2)).zst" }

    private func ageRemote(_ remote: FolderBlobRemote, _ hash: String, by seconds: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -seconds)],
                                              ofItemAtPath: remote.address(of: hash))
    }
}

extension RecordedStore {
    /// A store whose folder is a cache in front of `remote`, with its lineage database beside it.
    init(root: URL, remote: any BlobRemote) throws {
        store = try BlobStore.open(root: root, remote: remote)
        lineage = try LineageDatabase(path: root.appendingPathComponent("lineage.sqlite").path)
    }
}
