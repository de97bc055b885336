// PostgreSQL behind the SQL layer: a small pool of libpq connections, one per transaction in flight,
// so a run's worker threads and its lease heartbeat never wait on each other's statements. A
// transaction that loses its server (a restart, a network outage) is run again on a new connection,
// with backoff, for as long as the retry budget allows.
import Foundation

final class PostgresDatabase: SQLDatabase, @unchecked Sendable {
    let location: String
    var dialect: SQLDialect { .postgres }
    private let conninfo: String
    private let retryBudget: TimeInterval
    private let outageNotice: OutageNotice?
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []

    /// Waits between attempts while the server does not answer; a restart takes seconds, so the
    /// steps grow to 8 s and no faster.
    static let backoff = RetryBackoff(base: 0.25, ceiling: 8)

    /// Connects once at once, so a wrong address, password or database name fails here, not later.
    /// - Parameters:
    ///   - retryBudget: seconds a transaction that lost the server keeps being retried (0: fail at once).
    ///   - outageNotice: hears when transactions start and stop waiting for the server.
    init(conninfo: String, retryBudget: TimeInterval = 0, outageNotice: OutageNotice? = nil) throws {
        try PostgresConnection.check(conninfo: conninfo)
        self.conninfo = conninfo
        self.retryBudget = retryBudget
        self.outageNotice = outageNotice
        let first = try PostgresConnection(conninfo: conninfo)
        location = first.location
        idle = [first]
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try retrying { try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body) }
    }

    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try retrying { try transaction("BEGIN", body) }
    }

    /// Runs `attempt` again while it fails for want of the server and the budget lasts. A write whose
    /// COMMIT was sent but not acknowledged may have committed: it is run again all the same, so
    /// every write must find its own earlier commit and do nothing (see `finishStageRun`, `claim`).
    private func retrying<T>(_ attempt: () throws -> T) throws -> T {
        let started = Date()
        var failures = 0
        while true {
            do {
                let result = try attempt()
                if failures > 0 { outageNotice?.answered() }
                return result
            } catch let error as PostgresError where error.isOutage {
                failures += 1
                let delay = Self.backoff.delay(after: failures)
                guard Date().timeIntervalSince(started) + delay <= retryBudget else {
                    if retryBudget > 0 {
                        outageNotice?.gaveUp(after: retryBudget)
                        throw PostgresError.outageOutlastedBudget(location: location, seconds: retryBudget,
                                                                  attempts: failures, last: error.reason)
                    }
                    throw error
                }
                outageNotice?.waiting(for: "the lineage database \(location)", reason: error.reason, budget: retryBudget)
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }

    private func transaction<T>(_ begin: String, _ body: (SQLConnection) throws -> T) throws -> T {
        let connection = try begun(begin)
        defer { giveBack(connection) }
        do {
            let result = try body(Connection(connection: connection))
            try connection.execute("COMMIT", [])
            return result
        } catch {
            if connection.isHealthy { _ = try? connection.execute("ROLLBACK", []) }
            throw error
        }
    }

    /// A connection with a transaction begun. An idle connection the server closed since its last
    /// use (restart, idle timeout) is replaced by a new one; nothing was sent on it yet.
    private func begun(_ begin: String) throws -> PostgresConnection {
        while let connection = lock.withLock({ idle.popLast() }) {
            if (try? connection.execute(begin, [])) != nil { return connection }
        }
        let connection = try PostgresConnection(conninfo: conninfo)
        try connection.execute(begin, [])
        return connection
    }

    private func giveBack(_ connection: PostgresConnection) {
        guard connection.isHealthy else { return }
        lock.withLock { idle.append(connection) }
    }

    private struct Connection: SQLConnection {
        let connection: PostgresConnection
        var dialect: SQLDialect { .postgres }

        func execute(_ sql: String, _ arguments: [SQLArgument?]) throws -> Int {
            try connection.execute(sql, arguments)
        }

        func rows(_ sql: String, _ arguments: [SQLArgument?]) throws -> [SQLRow] {
            try connection.rows(sql, arguments)
        }
    }
}
