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
        guard case .claimed(let lapsed) = try theirs.claim("k", lease: 30) else { return XCTFail("free key") }
        guard case .held = try ours.claim("k", lease: 30) else { return XCTFail("still live") }
        ours.leaseClock.advance(by: 31)
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
        guard case .claimed = try theirs.claim("run:\(run.id!)", lease: 30),
              case .claimed = try theirs.claim("k", lease: 30) else { return XCTFail("free keys") }
        let stage = try theirs.startStageRun(runID: run.id!, key: "k", stage: "pretrain", kind: "pretrain", params: "{}")
        ours.leaseClock.advance(by: 29)
        XCTAssertTrue(try ours.markInterrupted().isEmpty, "a live lease keeps another host's rows running")
        ours.leaseClock.advance(by: 2)
        XCTAssertEqual(try ours.markInterrupted().map(\.id), [stage.id], "well before the 24 h foreign-host timeout")
        XCTAssertEqual(try ours.run(id: run.id!)?.status, .interrupted)
    }

    func testLeaseKeeperRenewsWhileHeldAndReleasesOnStop() throws {
        let ours = try makeLineageDatabase()
        let theirs = try reopen(ours, as: elsewhere)
        let keeper = LeaseKeeper(lineage: ours, lease: 30)
        guard case .claimed = try keeper.claim("k") else { return XCTFail("free key") }
        // A beat 20 s into the lease pushes its end to 50 s: another process 40 s on still sees it held.
        ours.leaseClock.advance(by: 20)
        keeper.renewHeld()
        theirs.leaseClock.advance(by: 40)
        guard case .held = try theirs.claim("k", lease: 30) else { return XCTFail("renewed past its first lease") }
        keeper.stop()
        guard case .claimed = try theirs.claim("k", lease: 30) else { return XCTFail("stop releases") }
    }

    func testLeaseKeepersOwnThreadRenews() throws {
        let ours = try makeLineageDatabase()
        let keeper = LeaseKeeper(lineage: ours, lease: 0.3)
        defer { keeper.stop() }
        guard case .claimed = try keeper.claim("k") else { return XCTFail("free key") }
        let first = try XCTUnwrap(ours.holder(of: "k")).expires
        // Waits for an event (the expiry moving), bounded, rather than asserting after a fixed sleep.
        let deadline = Date().addingTimeInterval(10)
        while try ours.holder(of: "k").map({ $0.expires <= first }) ?? true, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertGreaterThan(try XCTUnwrap(ours.holder(of: "k")).expires, first, "a beat every third of the lease")
    }

    func testAHolderWhoseClaimWasTakenCommitsNothing() throws {
        let frozen = try makeLineageDatabase()
        let other = try reopen(frozen, as: elsewhere)
        let (run, theirRun) = (try frozen.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1"),
                               try other.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1"))
        guard case .claimed(let stale) = try frozen.claim("k", lease: 30) else { return XCTFail("free key") }
        let late = try frozen.startStageRun(runID: run.id!, key: "k", stage: "s", kind: "fine-tune", params: "{}")
        // The holder is frozen past its lease; another process takes the key and commits it.
        other.leaseClock.advance(by: 31)
        guard case .claimed(let fresh) = try other.claim("k", lease: 30) else { return XCTFail("a lapsed claim is free") }
        let onTime = try other.startStageRun(runID: theirRun.id!, key: "k", stage: "s", kind: "fine-tune", params: "{}")
        try other.finishStageRun(onTime.id!, inputs: [:], outputs: ["w": artifact("w")], seconds: 1,
                                 claim: StageClaim(key: "k", token: fresh))
        // The first resumes and tries to commit the same key.
        XCTAssertThrowsError(try frozen.finishStageRun(late.id!, inputs: [:], outputs: ["w": artifact("w")], seconds: 1,
                                                       claim: StageClaim(key: "k", token: stale))) { error in
            XCTAssertEqual(error as? LineageError, .claimLost(key: "k", stageRun: late.id!))
            XCTAssertTrue("\(error)".contains("was not recorded"), "\(error)")
        }
        XCTAssertEqual(try frozen.stageRun(id: late.id!)?.record.status, .running, "nothing of the late commit was written")
        XCTAssertEqual(try frozen.cachedStageRun(key: "k")?.record.id, onTime.id, "the key is committed once")
    }
}
