// PostgreSQL behind the SQL layer: a small pool of libpq connections, one per transaction in flight,
// so a run's worker threads and its lease heartbeat never wait on each other's statements.
import Foundation

final class PostgresDatabase: SQLDatabase, @unchecked Sendable {
    let location: String
    var dialect: SQLDialect { .postgres }
    private let conninfo: String
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []

    /// Connects once at once, so a wrong address, password or database name fails here, not later.
    init(conninfo: String) throws {
        try PostgresConnection.check(conninfo: conninfo)
        self.conninfo = conninfo
        let first = try PostgresConnection(conninfo: conninfo)
        location = first.location
        idle = [first]
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try transaction("BEGIN", body)
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
