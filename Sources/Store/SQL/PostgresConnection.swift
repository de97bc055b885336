// One libpq connection: statements with text parameters and text results, converted by column type.
// Not thread-safe; `PostgresDatabase` hands each connection to one transaction at a time.
import CPostgres
import Foundation

final class PostgresConnection {
    private let handle: OpaquePointer
    /// `postgresql://user@host:port/dbname`, never with a password.
    let location: String

    /// Connects with `conninfo` (a URI or key=value string, checked to hold no password); libpq
    /// takes the password, if the server wants one, from PGPASSWORD or the password file.
    init(conninfo: String) throws {
        // An unreachable host that drops packets would otherwise hold a connect for the system's TCP
        // timeout (minutes); PGCONNECT_TIMEOUT or the string's own connect_timeout still win.
        var keywords = ["dbname"], values = [conninfo]
        if ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil {
            keywords.insert("connect_timeout", at: 0)
            values.insert("\(Self.connectTimeout)", at: 0)
        }
        let keywordPointers = keywords.map { UnsafePointer(strdup($0)) } + [nil]
        let valuePointers = values.map { UnsafePointer(strdup($0)) } + [nil]
        defer {
            for pointer in keywordPointers + valuePointers { free(UnsafeMutablePointer(mutating: pointer)) }
        }
        guard let handle = PQconnectdbParams(keywordPointers, valuePointers, 1) else {
            throw PostgresError.connect(location: "PostgreSQL", message: "libpq could not allocate a connection")
        }
        let location = Self.location(of: handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.oneLine(String(cString: PQerrorMessage(handle)))
            PQfinish(handle)
            throw PostgresError.connect(location: location, message: message)
        }
        self.handle = handle
        self.location = location
        // libpq prints server notices ("relation already exists, skipping") on stderr by default.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Timestamps are read and written as UTC text (see SQLTimestamp).
        try execute("SET TimeZone = 'UTC'", [])
    }

    /// Seconds a connection attempt may take before it fails.
    static let connectTimeout = 10

    deinit { PQfinish(handle) }

    /// Whether the connection is still usable (the server did not close it, the network held).
    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLArgument?]) throws -> Int {
        try run(sql, arguments) { result in Int(String(cString: PQcmdTuples(result))) ?? 0 }
    }

    func rows(_ sql: String, _ arguments: [SQLArgument?]) throws -> [SQLRow] {
        try run(sql, arguments) { result in
            let fields = Int32(PQnfields(result))
            let columns = (0..<fields).map { String(cString: PQfname(result, $0)) }
            let types = (0..<fields).map { PQftype(result, $0) }
            return (0..<PQntuples(result)).map { row in
                SQLRow(columns: columns, values: (0..<fields).map { field in
                    guard PQgetisnull(result, row, field) == 0 else { return .null }
                    return Self.value(String(cString: PQgetvalue(result, row, field)), type: types[Int(field)])
                })
            }
        }
    }

    /// Runs one statement (or, without arguments, several separated by `;`, as migrations are).
    private func run<T>(_ sql: String, _ arguments: [SQLArgument?], _ read: (OpaquePointer) -> T) throws -> T {
        let result: OpaquePointer?
        if arguments.isEmpty {
            result = PQexec(handle, sql)
        } else {
            let texts = arguments.map { $0.flatMap { Self.text($0.sqlValue) } }
            let pointers = texts.map { $0.flatMap { UnsafePointer(strdup($0)) } }
            defer { for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) } }
            result = pointers.withUnsafeBufferPointer { values in
                PQexecParams(handle, SQLDialect.postgres.prepare(sql), Int32(values.count), nil, values.baseAddress,
                             nil, nil, 0)
            }
        }
        guard let result else {
            throw PostgresError.connectionLost(location: location, message: Self.oneLine(String(cString: PQerrorMessage(handle))))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let message = Self.oneLine(String(cString: PQresultErrorMessage(result)))
            guard isHealthy else { throw PostgresError.connectionLost(location: location, message: message) }
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            throw PostgresError.statement(location: location, sqlState: state, message: message)
        }
        return read(result)
    }

    /// A bound value as PostgreSQL's text input reads it; nil is SQL NULL.
    private static func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: return nil
        case .integer(let v): return String(v)
        case .real(let v): return v.isInfinite ? (v > 0 ? "Infinity" : "-Infinity") : "\(v)"
        case .text(let v): return v
        case .bool(let v): return v ? "true" : "false"
        case .date(let v): return SQLTimestamp.format(v) + "+00"
        }
    }

    /// A result field by its column type's OID (pg_type.h): integers, floats, booleans and
    /// timestamps become typed values; everything else stays text.
    private static func value(_ text: String, type: Oid) -> SQLValue {
        switch type {
        case 20, 21, 23, 26: return Int64(text).map(SQLValue.integer) ?? .text(text)
        case 700, 701, 1700: return Double(text).map(SQLValue.real) ?? .text(text)
        case 16: return .bool(text == "t")
        case 1114, 1184: return SQLTimestamp.parse(text).map(SQLValue.date) ?? .text(text)
        default: return .text(text)
        }
    }

    /// Where a connection points, as a URI without the password.
    private static func location(of handle: OpaquePointer) -> String {
        func field(_ value: UnsafeMutablePointer<CChar>?) -> String { value.map { String(cString: $0) } ?? "" }
        let host = field(PQhost(handle)), port = field(PQport(handle)), database = field(PQdb(handle))
        let user = field(PQuser(handle))
        let userPart = user.isEmpty ? "" : user + "@"
        if host.hasPrefix("/") || host.isEmpty {
            return "postgresql://\(userPart)/\(database)?host=\(host.isEmpty ? "(default socket)" : host)&port=\(port)"
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(userPart)\(shownHost):\(port)/\(database)"
    }

    /// libpq's messages span lines ("ERROR:  …\nDETAIL: …"); errors here are one line.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// Fails when `conninfo` holds a password or does not parse: passwords belong in libpq's
    /// environment (PGPASSWORD, PGPASSFILE or ~/.pgpass), never in a store file or a command line.
    static func check(conninfo: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            // libpq quotes the token it could not read, which may be the password itself.
            let message = Redaction.message(error.map { oneLine(String(cString: $0)) } ?? "it does not parse", about: conninfo)
            if let error { PQfreemem(error) }
            throw PostgresError.invalidConnectionString(message: message)
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val, value.pointee != 0 {
                throw PostgresError.passwordInConnectionString
            }
            option += 1
        }
    }
}
