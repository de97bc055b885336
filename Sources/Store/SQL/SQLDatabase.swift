// The small SQL-execution layer the lineage database is written against: one set of queries, two
// databases (SQLite through GRDB, PostgreSQL through libpq). Queries use `?` placeholders; what the
// two dialects spell differently is in `SQLDialect`, nowhere else.
import Foundation

/// Runs statements inside one transaction (a `read` or a `write` of an `SQLDatabase`).
public protocol SQLConnection {
    var dialect: SQLDialect { get }
    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLArgument?]) throws -> Int
    /// Runs a query and returns every row.
    func rows(_ sql: String, _ arguments: [SQLArgument?]) throws -> [SQLRow]
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    public func rows(_ sql: String) throws -> [SQLRow] { try rows(sql, []) }

    /// The first row, or nil.
    public func row(_ sql: String, _ arguments: [SQLArgument?] = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }

    /// The first column of every row.
    public func column<T: SQLColumnValue>(_ sql: String, _ arguments: [SQLArgument?] = [], as type: T.Type = T.self) throws -> [T] {
        try rows(sql, arguments).map { row in
            guard let value = T.decode(row.values[0]) else {
                throw SQLError.column(name: row.columns[0], problem: "holds \(row.values[0]), not a \(T.self)")
            }
            return value
        }
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar<T: SQLColumnValue>(_ sql: String, _ arguments: [SQLArgument?] = [], as type: T.Type = T.self) throws -> T? {
        try column(sql, arguments, as: type).first
    }
}

/// A database the lineage lives in. Safe to share between threads.
public protocol SQLDatabase: AnyObject, Sendable {
    var dialect: SQLDialect { get }
    /// Where the database is, for messages: a file path, or a PostgreSQL address without credentials.
    var location: String { get }
    /// Runs `body` in a read-only transaction that sees one consistent state.
    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T
    /// Runs `body` in a write transaction: all of it commits, or (when it throws) none.
    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T
}

/// What SQLite and PostgreSQL spell differently.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The element type of a list bound as one argument (see `list`).
    public enum ListElement { case text, integer }

    /// A subquery yielding the elements of a JSON array bound as one `?` argument, so a list of
    /// any length is one argument: `WHERE id IN (\(dialect.list(.integer)))`.
    public func list(_ element: ListElement) -> String {
        switch (self, element) {
        case (.sqlite, _): return "SELECT value FROM json_each(?)"
        case (.postgres, .text): return "SELECT json_array_elements_text(CAST(? AS json))"
        case (.postgres, .integer): return "SELECT CAST(json_array_elements_text(CAST(? AS json)) AS BIGINT)"
        }
    }

    /// The database's clock now, plus `seconds`, as a timestamp comparable with stored ones. Leases
    /// use the database's clock, never a worker's, so machines whose clocks drift agree on expiry.
    public func now(plus seconds: Double = 0) -> String {
        let offset = String(format: "%.3f", seconds)
        switch self {
        case .sqlite: return "strftime('%Y-%m-%d %H:%M:%f', 'now', '\(seconds < 0 ? "" : "+")\(offset) seconds')"
        case .postgres: return "(clock_timestamp() + interval '\(offset) seconds')"
        }
    }

    /// The suffix that makes a SELECT lock the rows it reads until the transaction ends. SQLite's write
    /// transactions lock the whole database already (`BEGIN IMMEDIATE`), so it needs none.
    public var lockingRead: String { self == .postgres ? " FOR UPDATE" : "" }

    /// `sql` as the database takes it: PostgreSQL numbers its placeholders (`$1`), SQLite takes `?`.
    /// Statements hold no `?` inside string literals, so every `?` is a placeholder.
    func prepare(_ sql: String) -> String {
        guard self == .postgres else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var next = 1
        for character in sql {
            if character == "?" {
                out += "$\(next)"
                next += 1
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// A JSON array for `SQLDialect.list`.
func jsonList<T: Encodable>(_ values: [T]) throws -> String {
    String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
}

/// Errors of the SQL layer itself (the databases' own errors pass through as theirs).
public enum SQLError: Error, CustomStringConvertible, Equatable {
    case column(name: String, problem: String)

    public var description: String {
        switch self {
        case let .column(name, problem): return "lineage column \(name) \(problem)"
        }
    }
}
