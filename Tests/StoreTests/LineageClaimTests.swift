// Claims on stage keys: one holder at a time, lapsed leases change hands, a dead local holder's claim
// is taken at once, and a foreign owner's rows count as interrupted once its lease lapses. The same
// tests run against PostgreSQL in PostgresLineageTests.swift.
import Foundation
import XCTest
@testable import Store

class LineageClaimTests: XCTestCase {
    /// Another handle on the same database, as another process (or machine) would open it.
    func reopen(_ lineage: LineageDatabase, as identity: ProcessIdentity) throws -> LineageDatabase {
        lineage.isShared ? try LineageDatabase(postgres: lineage.path, identity: identity)
            : try LineageDatabase(path: lineage.path, identity: identity)
    }

    let elsewhere = ProcessIdentity(host: "other-machine", pid: 4242, startTicks: 99)

    func testOneHolderAtATimeUntilReleased() throws {
        let ours = try makeLineageDatabase()
        let theirs = try reopen(ours, as: elsewhere)
        guard case .claimed(let token) = try ours.claim("k", lease: 30) else { return XCTFail("a free key is claimed") }
        guard case .held(let holder) = try theirs.claim("k", lease: 30) else { return XCTFail("a held key is refused") }
        XCTAssertEqual(holder.host, ProcessIdentity.current.host)
        XCTAssertEqual(holder.pid, getpid())
        XCTAssertEqual(try theirs.holder(of: "k")?.pid, getpid())
        XCTAssertEqual(try ours.renew(tokens: [token], lease: 30), [token])
        try ours.release("k", token: token)
        XCTAssertNil(try theirs.holder(of: "k"))
        guard case .claimed = try theirs.claim("k", lease: 30) else { return XCTFail("a released key is free") }
    }

    func testALapsedLeaseChangesHandsAndItsHolderLearnsItLostIt() throws {
        let ours = try makeLineageDatabase()
        let theirs = try reopen(ours, as: elsewhere)
        guard case .claimed(let lapsed) = try theirs.claim("k", lease: 0.3) else { return XCTFail("free key") }
        guard case .held = try ours.claim("k", lease: 30) else { return XCTFail("still live") }
        Thread.sleep(forTimeInterval: 0.5)
        guard case .claimed(let mine) = try ours.claim("k", lease: 30) else { return XCTFail("a lapsed claim is free") }
        XCTAssertEqual(try theirs.renew(tokens: [lapsed], lease: 30), [], "the old holder no longer holds it")
        XCTAssertEqual(try ours.renew(tokens: [mine], lease: 30), [mine])
    }

    func testADeadLocalHoldersClaimIsTakenAtOnce() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let ours = try makeLineageDatabase()
        let dead = try reopen(ours, as: ProcessIdentity(host: ProcessIdentity.current.host, pid: child.processIdentifier,
                                                         startTicks: 1))
        guard case .claimed = try dead.claim("k", lease: 3600) else { return XCTFail("free key") }
        guard case .claimed = try ours.claim("k", lease: 30) else { return XCTFail("a dead holder's claim is free") }
    }

    func testAForeignStageRunIsInterruptedWhenItsLeaseLapsesNotBefore() throws {
        let ours = try makeLineageDatabase()
        let theirs = try reopen(ours, as: elsewhere)
        let run = try theirs.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1")
        guard case .claimed = try theirs.claim("run:\(run.id!)", lease: 0.4),
              case .claimed = try theirs.claim("k", lease: 0.4) else { return XCTFail("free keys") }
        let stage = try theirs.startStageRun(runID: run.id!, key: "k", stage: "pretrain", kind: "pretrain", params: "{}")
        XCTAssertTrue(try ours.markInterrupted().isEmpty, "a live lease keeps another host's rows running")
        Thread.sleep(forTimeInterval: 0.6)
        XCTAssertEqual(try ours.markInterrupted().map(\.id), [stage.id], "well before the 24 h foreign-host timeout")
        XCTAssertEqual(try ours.run(id: run.id!)?.status, .interrupted)
    }

    func testLeaseKeeperRenewsWhileHeldAndReleasesOnStop() throws {
        let ours = try makeLineageDatabase()
        let theirs = try reopen(ours, as: elsewhere)
        let keeper = LeaseKeeper(lineage: ours, lease: 0.6)
        guard case .claimed(let token) = try keeper.claim("k") else { return XCTFail("free key") }
        Thread.sleep(forTimeInterval: 1.5)
        guard case .held = try theirs.claim("k", lease: 30) else { return XCTFail("renewed past its first lease") }
        XCTAssertFalse(keeper.wasLost(token))
        keeper.stop()
        guard case .claimed = try theirs.claim("k", lease: 30) else { return XCTFail("stop releases") }
    }
}
