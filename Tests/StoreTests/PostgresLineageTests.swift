// The lineage tests again on a PostgreSQL server each class starts (initdb + pg_ctl, see
// TestSupport/PostgresServer.swift), and what only a server can get wrong: credentials, addresses,
// a server that dies mid-transaction. Skipped, saying why, only where PostgreSQL is not installed.
import Foundation
import TestSupport
import XCTest
@testable import Store

final class PostgresLineageDatabaseTests: LineageDatabaseTests, PostgresBacked {
    override class func setUp() { super.setUp(); PostgresFixture.start(for: self) }
    override class func tearDown() { PostgresFixture.stop(for: self); super.tearDown() }

    override func testFreshDatabaseIsMigratedInWALModeAndReopens() throws {
        let first = try makeLineageDatabase()
        XCTAssertTrue(first.isShared)
        XCTAssertFalse(first.path.contains(PostgresServer.processPassword))
        let migrations = "SELECT name FROM schema_migrations ORDER BY name"
        XCTAssertEqual(try first.database.read { try $0.column(migrations, as: String.self) }, ["v1", "v2", "v3"])
        let tables = try first.database.read { db in
            try db.column("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'schema_migrations' ORDER BY tablename",
                          as: String.self)
        }
        XCTAssertEqual(tables, Self.tables)
        let run = try first.startRun(pipeline: "default", pipelineHash: "p1", seed: 7, toolVersion: "0.1")
        let reopened = try LineageDatabase(postgres: first.path)
        XCTAssertEqual(try reopened.runs().map(\.id), [run.id])
        let started = try XCTUnwrap(reopened.run(id: run.id!)?.started)
        XCTAssertEqual(started.timeIntervalSince1970, run.started.timeIntervalSince1970, accuracy: 0.0005,
                       "timestamps round-trip to the millisecond")
    }

    func testAPasswordInTheConnectionStringIsRefused() throws {
        let server = try XCTUnwrap(PostgresFixture.server(for: self))
        for connection in ["postgresql://tlab:secret-pw@127.0.0.1:\(server.port)/tlab",
                           "host=127.0.0.1 port=\(server.port) user=tlab password=secret-pw dbname=tlab"] {
            XCTAssertThrowsError(try LineageDatabase(postgres: connection)) { error in
                XCTAssertEqual(error as? PostgresError, .passwordInConnectionString)
                XCTAssertFalse("\(error)".contains("secret-pw"))
                XCTAssertTrue("\(error)".contains("PGPASSWORD"), "\(error)")
            }
        }
    }

    func testBadConditionsAreOneLineErrorsNamingWhatFailed() throws {
        let server = try XCTUnwrap(PostgresFixture.server(for: self))
        func failure(_ connection: String) -> String {
            do {
                _ = try LineageDatabase(postgres: connection)
                return "connected"
            } catch {
                return "\(error)"
            }
        }
        let nobody = failure("postgresql://tlab@127.0.0.1:\(try freePort())/tlab")
        XCTAssertTrue(nobody.hasPrefix("cannot connect to the lineage database postgresql://tlab@127.0.0.1:"), nobody)
        XCTAssertTrue(nobody.contains("refused"), nobody)
        let noDatabase = failure(server.connectionString(database: "no_such_db"))
        XCTAssertTrue(noDatabase.contains(#"database "no_such_db" does not exist"#), noDatabase)
        let wrongUser = failure(server.connectionString(user: "intruder"))
        XCTAssertTrue(wrongUser.contains("password authentication failed"), wrongUser)
        for message in [nobody, noDatabase, wrongUser] {
            XCTAssertFalse(message.contains("\n"), message)
            XCTAssertFalse(message.contains(PostgresServer.processPassword))
        }
    }

    func testAServerKilledMidRunFailsTheWriteWholeAndTheNextConnectionResumes() throws {
        let server = try XCTUnwrap(PostgresFixture.server(for: self))
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "s", kind: "evaluate", params: "{}")
        try server.kill()
        XCTAssertThrowsError(try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["o": artifact("o")], seconds: 1)) {
            XCTAssertTrue("\($0)".contains("lineage database postgresql://tlab@127.0.0.1:\(server.port)/"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
        try server.restart()
        XCTAssertEqual(try lineage.stageRun(id: stage.id!)?.record.status, .running, "nothing half-recorded")
        XCTAssertThrowsError(try lineage.artifact(hashPrefix: artifact("o").hash))
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["o": artifact("o")], seconds: 1)
        XCTAssertEqual(try lineage.cachedStageRun(key: "k")?.outputs, ["o": artifact("o").hash])
    }

    func testWithARetryBudgetAWriteRidesOutAServerRestartAndSaysSoOnce() throws {
        let server = try XCTUnwrap(PostgresFixture.server(for: self))
        let lines = LockedLines()
        let lineage = try LineageDatabase(postgres: try XCTUnwrap(PostgresFixture.freshDatabase(for: self)),
                                          retryBudget: 60, outageNotice: OutageNotice { lines.append($0) })
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "s", kind: "evaluate", params: "{}")
        try server.kill()
        let restarted = expectation(description: "restarted")
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) {
            do { try server.restart() } catch { XCTFail("\(error)") }
            restarted.fulfill()
        }
        let started = Date()
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["o": artifact("o")], seconds: 1)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 2.5, "it waited for the restart")
        wait(for: [restarted], timeout: 60)
        XCTAssertEqual(try lineage.cachedStageRun(key: "k")?.outputs, ["o": artifact("o").hash])
        let said = lines.all
        XCTAssertEqual(said.count, 2, "\(said)")
        XCTAssertTrue(said.first?.hasPrefix("waiting for the lineage database postgresql://tlab@127.0.0.1:\(server.port)/") ?? false,
                      "\(said)")
        XCTAssertTrue(said.first?.hasSuffix("retrying for up to 60 s (--retry-budget)") ?? false, "\(said)")
        XCTAssertTrue(said.last?.hasPrefix("the server answers again after") ?? false, "\(said)")
    }

    func testAnOutageLongerThanTheBudgetFailsWithOneLineNamingTheBudget() throws {
        let server = try XCTUnwrap(PostgresFixture.server(for: self))
        let lineage = try LineageDatabase(postgres: try XCTUnwrap(PostgresFixture.freshDatabase(for: self)), retryBudget: 2)
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1")
        try server.kill()
        defer { XCTAssertNoThrow(try server.restart()) }
        let started = Date()
        XCTAssertThrowsError(try lineage.finishRun(run.id!, status: .finished)) {
            guard case let .outageOutlastedBudget(location, seconds, attempts, _)? = $0 as? PostgresError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(location, lineage.path)
            XCTAssertEqual(seconds, 2)
            XCTAssertGreaterThan(attempts, 1)
            XCTAssertTrue("\($0)".contains("did not answer within the retry budget of 2 s"), "\($0)")
            XCTAssertTrue("\($0)".contains("raise --retry-budget"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
    }

    func testACommitWhoseAcknowledgementIsLostIsRetriedAndRecordedOnce() throws {
        let server = try XCTUnwrap(PostgresFixture.server(for: self))
        let proxy = try CommitDroppingProxy(upstream: server.port, folder: makeScratchFolder(), test: self)
        let direct = try XCTUnwrap(PostgresFixture.freshDatabase(for: self))
        let database = try XCTUnwrap(direct.split(separator: "/").last)
        let lineage = try LineageDatabase(postgres: "postgresql://tlab@127.0.0.1:\(proxy.port)/\(database)?sslmode=disable",
                                          retryBudget: 30)
        let run = try lineage.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "s", kind: "evaluate", params: "{}")
        guard case .claimed(let token) = try lineage.claim("k", lease: 30) else { return XCTFail("the key is free") }
        try proxy.dropNextCommitAcknowledgement()
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["o": artifact("o")],
                                   metrics: [MetricPoint(name: "loss", step: 1, value: 0.5)], seconds: 1,
                                   claim: StageClaim(key: "k", token: token))
        XCTAssertTrue(proxy.dropped, "the COMMIT went through the proxy unacknowledged")
        let recorded = try LineageDatabase(postgres: direct)
        XCTAssertEqual(try recorded.cachedStageRun(key: "k")?.outputs, ["o": artifact("o").hash])
        XCTAssertEqual(try recorded.database.read { try $0.scalar("SELECT COUNT(*) FROM stage_outputs", as: Int64.self) }, 1)

        // A claim whose acknowledgement was lost is found again by its token, not waited for as another's.
        try proxy.dropNextCommitAcknowledgement()
        XCTAssertEqual(try lineage.claim("k2", lease: 30).isClaimed, true)
        XCTAssertTrue(proxy.dropped)
        XCTAssertEqual(try recorded.database.read { try $0.scalar("SELECT COUNT(*) FROM claims WHERE key = 'k2'", as: Int64.self) }, 1)
    }
}

private extension ClaimAttempt {
    var isClaimed: Bool { if case .claimed = self { return true } else { return false } }
}

final class PostgresLineageGraphTests: LineageGraphTests, PostgresBacked {
    override class func setUp() { super.setUp(); PostgresFixture.start(for: self) }
    override class func tearDown() { PostgresFixture.stop(for: self); super.tearDown() }

    /// Declared here so test discovery (which lists a class only for test methods of its own) runs
    /// the inherited tests too; it checks they are on PostgreSQL.
    func testTheInheritedTestsRunOnPostgreSQL() throws {
        XCTAssertTrue(try makeLineageDatabase().isShared)
    }
}

final class PostgresLineageCheckpointTests: LineageCheckpointTests, PostgresBacked {
    override class func setUp() { super.setUp(); PostgresFixture.start(for: self) }
    override class func tearDown() { PostgresFixture.stop(for: self); super.tearDown() }

    /// Declared here so test discovery (which lists a class only for test methods of its own) runs
    /// the inherited tests too; it checks they are on PostgreSQL.
    func testTheInheritedTestsRunOnPostgreSQL() throws {
        XCTAssertTrue(try makeLineageDatabase().isShared)
    }
}

final class PostgresLineageClaimTests: LineageClaimTests, PostgresBacked {
    override class func setUp() { super.setUp(); PostgresFixture.start(for: self) }
    override class func tearDown() { PostgresFixture.stop(for: self); super.tearDown() }

    /// Declared here so test discovery (which lists a class only for test methods of its own) runs
    /// the inherited tests too; it checks they are on PostgreSQL.
    func testTheInheritedTestsRunOnPostgreSQL() throws {
        XCTAssertTrue(try makeLineageDatabase().isShared)
    }
}

/// gc on a shared store, where runs on other machines put blobs without holding this machine's lock:
/// it spares unrecorded blobs younger than the oldest live claim or the longest stage, whatever
/// `grace` says.
final class SharedStoreGarbageCollectionTests: XCTestCase, PostgresBacked {
    override class func setUp() { super.setUp(); PostgresFixture.start(for: self) }
    override class func tearDown() { PostgresFixture.stop(for: self); super.tearDown() }

    func testABlobWrittenUnderALiveClaimIsSparedUntilTheClaimEnds() throws {
        let recorded = try RecordedStore(root: makeScratchFolder(), lineage: makeLineageDatabase())
        // Claimed a second before the blob is written, whatever the resolution of either clock.
        recorded.lineage.leaseClock.advance(by: -1)
        guard case .claimed(let token) = try recorded.lineage.claim("k", lease: 60) else { return XCTFail("free key") }
        let inFlight = try recorded.store.put(testBytes(300, seed: 9)).hash
        let policy = GCPolicy(finishedRunsPerPipeline: 0, grace: 0)
        let during = try recorded.store.collectGarbage(lineage: recorded.lineage, policy: policy)
        XCTAssertEqual(during.spared, [inFlight])
        XCTAssertTrue(recorded.store.contains(inFlight))
        try recorded.lineage.release("k", token: token)
        let after = try recorded.store.collectGarbage(lineage: recorded.lineage, policy: policy)
        XCTAssertEqual(after.swept, [inFlight], "an orphan once no claim could still record it")
    }

    func testUnrecordedBlobsYoungerThanTheLongestStageAreSpared() throws {
        let recorded = try RecordedStore(root: makeScratchFolder(), lineage: makeLineageDatabase())
        let run = try recorded.lineage.startRun(pipeline: "p", pipelineHash: "h", seed: nil, toolVersion: "0.1")
        let long = try recorded.lineage.startStageRun(runID: run.id!, key: "long", stage: "pretrain", kind: "pretrain", params: "{}")
        try recorded.lineage.finishStageRun(long.id!, inputs: [:], outputs: [:], seconds: 7200)
        let young = try recorded.store.put(testBytes(300, seed: 1)).hash
        let old = try recorded.store.put(testBytes(300, seed: 2)).hash
        try recorded.age(young, by: 3600)
        try recorded.age(old, by: 3 * 3600)
        let report = try recorded.store.collectGarbage(lineage: recorded.lineage,
                                                       policy: GCPolicy(finishedRunsPerPipeline: 0, grace: 60))
        XCTAssertEqual(report.spared, [young], "a stage of two hours may still record a blob written an hour ago")
        XCTAssertEqual(report.swept, [old])
    }
}
