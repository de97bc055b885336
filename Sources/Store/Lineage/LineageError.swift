// Errors the lineage database reports about its own contents (the databases' own errors pass through:
// GRDB's for SQLite, `PostgresError` for PostgreSQL).

/// A lineage request that names something the database does not hold, or holds more than once.
public enum LineageError: Error, CustomStringConvertible, Equatable {
    case unknownRun(id: Int64, database: String)
    case unknownStageRun(id: Int64, database: String)
    /// A stage run that already finished or failed was asked to end again.
    case stageRunAlreadyEnded(id: Int64, status: RunStatus)
    /// A stage run names an input artifact that no earlier stage recorded.
    case unknownInputArtifact(stageRun: Int64, input: String, hash: String)
    case invalidHashPrefix(String)
    case noArtifactMatches(prefix: String, database: String)
    /// Several artifacts start with the prefix; `candidates` lists some of them.
    case ambiguousPrefix(prefix: String, candidates: [String])
    /// A claim on `key` was freed and taken again while this process tried to claim it, twice over.
    case claimContended(key: String)
    /// Stage run `stageRun` computed `key`, but its claim lapsed and another process took the key
    /// before the result was recorded, so nothing of it was: each key is committed at most once.
    case claimLost(key: String, stageRun: Int64)
    /// A database opened read-only lacks migrations this version of tlab needs.
    case schemaOutOfDate(database: String)

    public var description: String {
        switch self {
        case let .schemaOutOfDate(database):
            return "the lineage database \(database) has an older schema than this tlab reads, and a read-only "
                + "view does not migrate it; any other tlab command on the store (e.g. tlab runs) brings it up to date"
        case let .unknownRun(id, database):
            return "no run with id \(id) in \(database)"
        case let .unknownStageRun(id, database):
            return "no stage run with id \(id) in \(database)"
        case let .stageRunAlreadyEnded(id, status):
            return "stage run \(id) has already \(status.rawValue); only a running or interrupted stage run can end"
        case let .unknownInputArtifact(stageRun, input, hash):
            return "stage run \(stageRun): input '\(input)' names artifact \(hash), which no stage has recorded; "
                + "inputs must be outputs of earlier stage runs"
        case let .invalidHashPrefix(prefix):
            return "'\(prefix)' is not an artifact hash prefix: expected 1 to 64 hex digits (0-9, a-f)"
        case let .noArtifactMatches(prefix, database):
            return "no artifact hash starts with '\(prefix)' in \(database)"
        case let .ambiguousPrefix(prefix, candidates):
            return "'\(prefix)' matches several artifacts; give more digits. Candidates: "
                + candidates.joined(separator: ", ")
        case let .claimContended(key):
            return "the claim on stage key \(key.prefix(12)) changed hands while this process tried to take it; try again"
        case let .claimLost(key, stageRun):
            return "stage run \(stageRun) was not recorded: its claim on stage key \(key.prefix(12)) lapsed (no heartbeat "
                + "reached the database within the lease) and another process took the key, which records it once"
        }
    }
}
