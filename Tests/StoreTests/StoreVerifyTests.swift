// verify over a blob store and its lineage: missing, corrupt and orphaned blobs, and quarantine.
import Foundation
import XCTest
@testable import Store

final class StoreVerifyTests: XCTestCase {
    func testIntactStoreIsNotDamaged() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        try recorded.record(key: "k", outputs: ["metrics": testBytes(5000)])
        let report = try recorded.store.verify(against: recorded.lineage)
        XCTAssertEqual(report.checked, 1)
        XCTAssertEqual(report.intact, 1)
        XCTAssertFalse(report.isDamaged)
    }

    func testMissingCorruptAndOrphanedBlobsAreEachReported() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let (_, hashes) = try recorded.record(key: "k", outputs: [
            "kept": testBytes(5000, seed: 1), "lost": testBytes(5000, seed: 2), "flipped": testBytes(5000, seed: 3),
        ])
        let orphan = try recorded.store.put(testBytes(5000, seed: 4)).hash
        try recorded.store.remove(hashes["lost"]!)
        try flipByte(at: 2500, of: recorded.store.path(of: hashes["flipped"]!))

        let report = try recorded.store.verify(against: recorded.lineage)
        XCTAssertEqual(report.missing, [hashes["lost"]!])
        XCTAssertEqual(report.corrupt.map(\.hash), [hashes["flipped"]!])
        XCTAssertNil(report.corrupt.first?.quarantinedTo)
        XCTAssertEqual(report.orphaned, [orphan])
        XCTAssertEqual(report.checked, 3)
        XCTAssertEqual(report.intact, 2, "the kept blob and the orphan hash correctly")
        XCTAssertTrue(report.isDamaged)
    }

    func testQuarantinedBlobIsMovedAsideAndNoLongerCounted() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let (_, hashes) = try recorded.record(key: "k", outputs: ["weights": testBytes(5000)])
        let bad = hashes["weights"]!
        try flipByte(at: 100, of: recorded.store.path(of: bad))

        let first = try recorded.store.verify(against: recorded.lineage, quarantineCorrupt: true)
        let moved = try XCTUnwrap(first.corrupt.first?.quarantinedTo)
        XCTAssertTrue(FileManager.default.fileExists(atPath: moved.path))
        XCTAssertFalse(recorded.store.contains(bad))
        XCTAssertNil(try recorded.lineage.cachedStageRun(key: "k"), "a quarantined output is not reused")

        let second = try recorded.store.verify(against: recorded.lineage)
        XCTAssertFalse(second.isDamaged, "the artifact is recorded as removed, not missing: \(second)")
        XCTAssertNotNil(try recorded.lineage.artifact(hashPrefix: bad).removed)

        // Computing it again brings the artifact back into the cache.
        try recorded.record(key: "k", outputs: ["weights": testBytes(5000)])
        XCTAssertNil(try recorded.lineage.artifact(hashPrefix: bad).removed)
        XCTAssertEqual(try recorded.lineage.cachedStageRun(key: "k")?.outputs, ["weights": bad])
    }
}
