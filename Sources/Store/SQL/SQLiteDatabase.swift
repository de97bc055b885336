// SQLite behind the SQL layer, through GRDB: WAL (readers beside one writer), a busy timeout between
// processes, IMMEDIATE write transactions.
import Foundation
import GRDB

final class SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    let location: String
    var dialect: SQLDialect { .sqlite }

    /// - Parameter readOnly: opens an existing database for reading only: SQLite itself refuses any
    ///   write, and nothing is created.
    init(path: String, busyTimeout: TimeInterval, readOnly: Bool = false) throws {
        var configuration = Configuration()
        if readOnly {
            configuration.readonly = true
        } else {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        pool = try DatabasePool(path: path, configuration: configuration)
        location = path
    }

    /// Runs `body` while no other process runs it on this database: GRDB's migrator reads which
    /// migrations are applied before it takes the write lock, so processes opening a new store at
    /// once would each apply them. An flock on the database file (independent of SQLite's own fcntl
    /// locks) serialises them; the kernel releases it if the process dies.
    func exclusively<T>(_ body: () throws -> T) throws -> T {
        let descriptor = open(location, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw StoreError.io(operation: "open", path: location, code: errno) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.io(operation: "flock", path: location, code: errno) }
        }
        return try body()
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try pool.read { try body(Connection(db: $0)) }
    }

    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try pool.write { try body(Connection(db: $0)) }
    }

    private struct Connection: SQLConnection {
        let db: Database
        var dialect: SQLDialect { .sqlite }

        func execute(_ sql: String, _ arguments: [SQLArgument?]) throws -> Int {
            try db.execute(sql: sql, arguments: Self.arguments(arguments))
            return db.changesCount
        }

        func rows(_ sql: String, _ arguments: [SQLArgument?]) throws -> [SQLRow] {
            try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
                SQLRow(columns: Array(row.columnNames), values: row.databaseValues.map(Self.value))
            }
        }

        private static func arguments(_ values: [SQLArgument?]) -> StatementArguments {
            StatementArguments(values.map { argument -> DatabaseValueConvertible? in
                switch argument?.sqlValue ?? .null {
                case .null: return nil
                case .integer(let v): return v
                case .real(let v): return v
                case .text(let v): return v
                case .bool(let v): return v
                case .date(let v): return SQLTimestamp.format(v)
                }
            })
        }

        private static func value(_ value: DatabaseValue) -> SQLValue {
            switch value.storage {
            case .null: return .null
            case .int64(let v): return .integer(v)
            case .double(let v): return .real(v)
            case .string(let v): return .text(v)
            case .blob(let v): return .text(String(decoding: v, as: UTF8.self))
            }
        }
    }
}
