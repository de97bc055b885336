// `tlab bench lineage`, run as a user would: the per-stage figure for SQLite and for a PostgreSQL database.
import Foundation
import TestSupport
import XCTest

final class BenchLineageCommandTests: XCTestCase {
    func testPrintsMillisecondsPerStageForSQLiteAndPostgreSQL() throws {
        let server: PostgresServer
        do {
            server = try PostgresServer()
        } catch PostgresServer.Failure.unavailable(let reason) {
            throw missingService(reason)
        }
        defer { server.stop() }
        let folder = try makeScratchFolder(), scratch = try makeScratchFolder()
        let run = try tlab(["bench", "lineage", "--stages", "5", "--dir", scratch.path,
                            "--postgres", server.connectionString()],
                           in: folder, environment: server.environment)
        XCTAssertEqual(run.status, 0, (run.stdout + run.stderr))
        for database in ["PostgreSQL", "SQLite"] {
            XCTAssertNotNil((run.stdout + run.stderr).range(of: #"lineage per stage on \#(database).*: median \d+\.\d ms \(\d+\.\d\.\.\d+\.\d\) over 5 stages"#,
                                             options: .regularExpression), (run.stdout + run.stderr))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [], "the scratch SQLite is removed")
    }

    func testRejectsAZeroStageCount() throws {
        let run = try tlab(["bench", "lineage", "--stages", "0"], in: makeScratchFolder())
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue((run.stdout + run.stderr).contains("--stages must be positive, got 0"), (run.stdout + run.stderr))
    }
}
