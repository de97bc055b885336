// Which blob backend a shared store's `blobs:` value means. The one place that rule is decided: a
// folder on a shared filesystem is a blob store of its own; an `s3://bucket/prefix` is a remote tier
// behind a local cache folder. Any other scheme is refused when the value is read, before anything
// connects.
import Foundation

/// Where a shared store's blobs are, as its `blobs:` value names them.
public enum BlobLocation: Sendable, Equatable {
    /// A folder on a filesystem every machine mounts (NFS, say): the blob store itself, written
    /// directly by every worker (blob writes are atomic renames, so concurrent writers of one blob
    /// leave one whole copy).
    case folder(URL)
    /// An S3-compatible bucket and prefix (`s3://bucket/prefix`), read and written through a local
    /// cache folder, with credentials and endpoint from the standard AWS environment variables.
    case bucket(url: String)

    /// Reads a `blobs:` value: `s3://bucket/prefix`, or a folder path (`~` expanded, a relative
    /// path taken relative to `directory`).
    public init(parsing value: String, relativeTo directory: URL) throws {
        guard let scheme = value.range(of: "://").map({ String(value[..<$0.lowerBound]) }) else {
            self = .folder(Self.folder(value, relativeTo: directory))
            return
        }
        guard scheme == "s3" else { throw BlobLocationError.unsupportedScheme(scheme) }
        // A bad bucket location (credentials in it, a `..` in its prefix) is refused here, before anything connects.
        do {
            _ = try S3Location(url: value)
        } catch {
            throw BlobLocationError.invalidBucket("\(error)")
        }
        self = .bucket(url: value)
    }

    /// A folder path of a store description: `~` expanded, a relative path taken relative to
    /// `directory` (the description's folder).
    public static func folder(_ path: String, relativeTo directory: URL) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded).standardizedFileURL
            : directory.appendingPathComponent(expanded).standardizedFileURL
    }

    /// The blob store this location names. A bucket's cache is `cache`, else `defaultCache(for:)`;
    /// it is this machine's, so it is created whatever `create` says (a read needs it too).
    /// `retryBudget` and `outageNotice` say how long requests retry a bucket that stops answering;
    /// `cacheLimit` caps a bucket's cache (`BlobStore.cacheLimit`).
    public func open(create: Bool, cache: URL?, cacheLimit: Int64? = nil, retryBudget: TimeInterval? = nil,
                     outageNotice: OutageNotice? = nil) throws -> BlobStore {
        switch self {
        case .folder(let root):
            return try BlobStore.open(root: root, create: create)
        case .bucket(let url):
            let remote = try S3BlobRemote(url: url, retryBudget: retryBudget, outageNotice: outageNotice)
            return try BlobStore.open(root: cache ?? Self.defaultCache(for: url), create: true, remote: remote, cacheLimit: cacheLimit)
        }
    }

    /// `~/.cache/tlab/<first 16 hex digits of the SHA-256 of the bucket URL>` (XDG_CACHE_HOME
    /// respected): one cache per remote, so gc of one store never evicts what another store's lineage names.
    public static func defaultCache(for remote: String) -> URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("tlab").appendingPathComponent(String(Digest.sha256Hex(Data(remote.utf8)).prefix(16)))
    }
}

/// A `blobs:` value that names no blob store tlab can open.
public enum BlobLocationError: Error, CustomStringConvertible, Equatable {
    /// A URL scheme other than `s3`.
    case unsupportedScheme(String)
    /// An `s3://` URL that is no valid bucket and prefix; the reason says why.
    case invalidBucket(String)

    public var description: String {
        switch self {
        case .unsupportedScheme(let scheme):
            return "'blobs:' in \(scheme):// storage is not supported; give an s3://bucket/prefix or a folder of a shared filesystem"
        case .invalidBucket(let reason):
            return "'blobs': \(reason)"
        }
    }
}
