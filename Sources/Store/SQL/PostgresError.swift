// What goes wrong talking to PostgreSQL, each naming the database by an address without credentials.

public enum PostgresError: Error, CustomStringConvertible, Equatable {
    /// The connection string or URI names a password.
    case passwordInConnectionString
    case invalidConnectionString(message: String)
    /// No connection could be made: server unreachable, authentication failed, no such database.
    case connect(location: String, message: String)
    /// The connection broke while in use (server stopped, network down).
    case connectionLost(location: String, message: String)
    /// The server refused a statement.
    case statement(location: String, sqlState: String, message: String)

    public var description: String {
        switch self {
        case .passwordInConnectionString:
            return "the lineage database's connection string holds a password; remove it and give the password "
                + "through PGPASSWORD, or in ~/.pgpass (or the file PGPASSFILE names), where libpq finds it"
        case let .invalidConnectionString(message):
            return "the lineage database's connection string is not a libpq URI or key=value string: \(message)"
        case let .connect(location, message):
            return "cannot connect to the lineage database \(location): \(message)"
        case let .connectionLost(location, message):
            return "lost the connection to the lineage database \(location): \(message); nothing of the "
                + "transaction in progress was recorded, run again once the database is back"
        case let .statement(location, sqlState, message):
            return "the lineage database \(location) refused a statement (SQLSTATE \(sqlState)): \(message)"
        }
    }
}
