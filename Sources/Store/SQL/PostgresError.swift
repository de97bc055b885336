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
    /// The server did not answer again within the retry budget (`--retry-budget`) of `seconds`.
    case outageOutlastedBudget(location: String, seconds: Double, attempts: Int, last: String)

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
        case let .outageOutlastedBudget(location, seconds, attempts, last):
            return "the lineage database \(location) did not answer within the retry budget of "
                + "\(OutageNotice.duration(seconds)) (\(attempts) attempts; last: \(last)); nothing of the transaction "
                + "in progress was recorded: run again once the database is back, or raise --retry-budget"
        }
    }

    /// Whether the server is gone for now (stopped, restarting, out of reach) rather than refusing
    /// the statement: worth trying again on a new connection. SQLSTATE class 08 is a connection
    /// exception, 57P01-57P03 a server shutting down or starting up.
    var isOutage: Bool {
        switch self {
        case .connect, .connectionLost: return true
        case let .statement(_, sqlState, _): return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
        case .passwordInConnectionString, .invalidConnectionString, .outageOutlastedBudget: return false
        }
    }

    /// What went wrong, in a few words, for the line that says what a run waits for.
    var reason: String {
        switch self {
        case let .connect(_, message), let .connectionLost(_, message), let .statement(_, _, message):
            return String(message.prefix(160))
        default: return description
        }
    }
}
