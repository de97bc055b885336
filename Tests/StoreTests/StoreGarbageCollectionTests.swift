// gc over a blob store and its lineage: what it keeps, what it sweeps, and when it refuses to run.
import Foundation
import XCTest
@testable import Store

final class StoreGarbageCollectionTests: XCTestCase {
    private let hour: TimeInterval = 3600

    func testDryRunListsWithoutDeleting() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        try recorded.record(key: "k", outputs: ["metrics": testBytes(3000)])
        let orphan = try recorded.store.put(testBytes(3000, seed: 9)).hash
        try recorded.age(orphan, by: 2 * hour)

        let report = try recorded.store.collectGarbage(lineage: recorded.lineage, dryRun: true)
        XCTAssertTrue(report.dryRun)
        XCTAssertEqual(report.swept, [orphan])
        XCTAssertGreaterThan(report.sweptBytes, 3000)
        XCTAssertEqual(report.kept, 1)
        XCTAssertTrue(recorded.store.contains(orphan))
        XCTAssertFalse(try recorded.store.verify(against: recorded.lineage).isDamaged)
    }

    func testSweepsOldOrphansButKeepsYoungAndReferencedBlobs() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let (_, hashes) = try recorded.record(key: "k", outputs: ["metrics": testBytes(3000)])
        try recorded.age(hashes["metrics"]!, by: 2 * hour)
        let old = try recorded.store.put(testBytes(3000, seed: 9)).hash
        try recorded.age(old, by: 2 * hour)
        let young = try recorded.store.put(testBytes(3000, seed: 10)).hash

        let report = try recorded.store.collectGarbage(lineage: recorded.lineage, policy: GCPolicy(grace: hour))
        XCTAssertEqual(report.swept, [old])
        XCTAssertEqual(report.spared, [young])
        XCTAssertEqual(report.kept, 1)
        XCTAssertFalse(recorded.store.contains(old))
        XCTAssertTrue(recorded.store.contains(young))
        XCTAssertTrue(recorded.store.contains(hashes["metrics"]!))
        XCTAssertFalse(try recorded.store.verify(against: recorded.lineage).isDamaged)
    }

    func testOlderRunsAreKeptAsCacheEntriesUnlessThePolicySaysOtherwise() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let (_, first) = try recorded.record(key: "lr-1e-3", outputs: ["weights": testBytes(3000, seed: 1)])
        let (latest, second) = try recorded.record(key: "lr-1e-4", outputs: ["weights": testBytes(3000, seed: 2)])
        let (other, third) = try recorded.record(pipeline: "smoke", key: "tiny", outputs: ["weights": testBytes(3000, seed: 3)])
        for hash in [first, second, third].map({ $0["weights"]! }) { try recorded.age(hash, by: 2 * hour) }

        let cautious = try recorded.store.collectGarbage(lineage: recorded.lineage)
        XCTAssertEqual(cautious.keptRuns, [latest, other])
        XCTAssertEqual(cautious.swept, [], "the first run's output is still what key lr-1e-3 would reuse")

        let lean = try recorded.store.collectGarbage(lineage: recorded.lineage,
                                                     policy: GCPolicy(keepCacheEntries: false, grace: hour))
        XCTAssertEqual(lean.swept, [first["weights"]!])
        XCTAssertEqual(lean.kept, 2)
        XCTAssertNil(try recorded.lineage.cachedStageRun(key: "lr-1e-3"), "the swept stage run is no cache entry")
        XCTAssertNotNil(try recorded.lineage.cachedStageRun(key: "lr-1e-4"))
        XCTAssertFalse(try recorded.store.verify(against: recorded.lineage).isDamaged)
    }

    func testFailedRetryKeepsTheLastFinishedRunAlive() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let (good, _) = try recorded.record(key: "a", outputs: ["weights": testBytes(3000, seed: 1)])
        let (retry, _) = try recorded.record(key: "b", outputs: ["weights": testBytes(3000, seed: 2)], status: .failed)
        let report = try recorded.store.collectGarbage(
            lineage: recorded.lineage, policy: GCPolicy(keepCacheEntries: false, grace: 0), dryRun: true)
        XCTAssertEqual(report.keptRuns, [good, retry])
        XCTAssertEqual(report.swept, [])
    }

    func testRefusesWhileAnotherLockHandleHoldsTheStore() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let run = try StoreLock(root: recorded.store.root, mode: .shared)
        XCTAssertThrowsError(try recorded.store.collectGarbage(lineage: recorded.lineage)) {
            XCTAssertEqual($0 as? StoreError, .busy(root: recorded.store.root.path))
        }
        run.release()
        XCTAssertNoThrow(try recorded.store.collectGarbage(lineage: recorded.lineage))
    }

    func testRefusesWhileAnotherProcessHoldsTheStore() throws {
        let recorded = try RecordedStore(root: makeScratchFolder())
        let orphan = try recorded.store.put(testBytes(3000)).hash
        try recorded.age(orphan, by: 2 * hour)
        // The shell takes the lock on its own descriptor, then becomes `sleep`, which keeps holding it.
        let lockPath = recorded.store.root.appendingPathComponent("lock").path
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>>\"$0\" && flock -s 9 && echo locked && exec sleep 60", lockPath]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        XCTAssertEqual(output.fileHandleForReading.availableData, Data("locked\n".utf8))

        XCTAssertThrowsError(try recorded.store.collectGarbage(lineage: recorded.lineage)) {
            XCTAssertEqual($0 as? StoreError, .busy(root: recorded.store.root.path))
        }
        XCTAssertTrue(recorded.store.contains(orphan))
    }
}
