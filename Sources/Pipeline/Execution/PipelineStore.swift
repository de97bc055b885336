// A store as `tlab` uses it: a blob store and a lineage database, opened together from a folder (the
// lineage database beside the blobs) or from a shared store's description (see StoreLocation.swift).
import Foundation
import Store

/// A blob store and its lineage database.
public struct PipelineStore: @unchecked Sendable {
    /// The lineage database's file name inside a store folder.
    public static let lineageFile = "lineage.sqlite"

    public let blobs: BlobStore
    public let lineage: LineageDatabase
    public let location: StoreLocation

    /// Opens (with `create`, making if needed) the store folder at `root`; fails with
    /// `StoreError.notAStore` for a folder that is not one.
    public init(root: URL, create: Bool = true) throws {
        try self.init(location: .folder(root), create: create)
    }

    /// Opens the store at `location`. A shared store's database must exist (its schema is created
    /// or brought up to date); its blob folder is created only with `create`. `patience` says how
    /// long requests to a bucket, and transactions of the database, retry while the server does not answer.
    /// `readOnly` opens a store folder's lineage database for reading only (see `LineageDatabase`); a
    /// shared store's PostgreSQL database is opened as usual, and only read by a reader.
    public init(location: StoreLocation, create: Bool = true, patience: ServerPatience = ServerPatience(),
                readOnly: Bool = false) throws {
        self.location = location
        switch location {
        case .folder(let root):
            blobs = try BlobStore.open(root: root, create: create && !readOnly)
            lineage = try LineageDatabase(path: blobs.root.appendingPathComponent(Self.lineageFile).path, readOnly: readOnly)
        case .shared(let file):
            // The database first: a store whose database cannot be reached leaves no blob folder behind.
            lineage = try LineageDatabase(postgres: file.lineage, retryBudget: patience.retryBudget ?? 0, outageNotice: patience.notice)
            blobs = try file.blobs.open(create: create, cache: file.cache, cacheLimit: file.cacheMax, retryBudget: patience.retryBudget,
                                        outageNotice: patience.notice)
        }
    }

    public var root: URL { blobs.root }

    /// A store of these parts (an MPI follower's: the shared blobs and a lineage of its own).
    init(blobs: BlobStore, lineage: LineageDatabase, location: StoreLocation) {
        self.blobs = blobs
        self.lineage = lineage
        self.location = location
    }
}

/// How long a shared store's requests keep retrying a server that stopped answering, and who hears
/// about it. The default (no budget) is the S3 client's own, a few attempts within a minute, and for
/// the lineage database none: a transaction that loses the server fails at once.
public struct ServerPatience: Sendable {
    /// Seconds to keep retrying a failed request (`--retry-budget`); nil for the client's default.
    public var retryBudget: TimeInterval?
    public var notice: OutageNotice?

    public init(retryBudget: TimeInterval? = nil, notice: OutageNotice? = nil) {
        self.retryBudget = retryBudget
        self.notice = notice
    }
}
