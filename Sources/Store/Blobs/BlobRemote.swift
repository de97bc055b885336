// The remote tier of a blob store: where blobs live for a team or a cluster, behind each machine's
// local cache folder. Implemented for S3-compatible buckets (`S3BlobRemote`); a shared folder needs
// no remote tier, as it is a blob store of its own (`BlobLocation`).
import Foundation

/// A blob as the remote tier holds it.
public struct RemoteBlob: Equatable, Hashable, Sendable {
    /// SHA-256 of the blob's uncompressed bytes.
    public let hash: String
    /// Size of the stored zstd frame.
    public let storedBytes: Int64
    /// When this copy was written (S3's LastModified, a file's mtime): gc's grace period counts from it.
    public let lastModified: Date
    /// Identifies this copy (an S3 ETag; a file's inode and mtime), so a delete can be limited to
    /// the copy that was found damaged or unreferenced and spare one written since.
    public let version: String

    public init(hash: String, storedBytes: Int64, lastModified: Date, version: String) {
        self.hash = hash
        self.storedBytes = storedBytes
        self.lastModified = lastModified
        self.version = version
    }
}

/// The few operations the blob store's remote tier needs. Each remote blob is exactly the zstd frame
/// of the local blob file, stored under `<location>/<2 hex digits>/<other 62>.zst`, the layout of a
/// local store's `blobs/` folder. Implementations are safe to call from several threads and processes.
public protocol BlobRemote: Sendable {
    /// Where the blobs are, for messages: `s3://bucket/prefix` or a folder path.
    var location: String { get }

    /// Where blob `hash` is (whether or not it is there), for messages.
    func address(of hash: String) -> String

    /// The blob's size, time and version, or nil if the remote has no blob `hash`.
    func head(_ hash: String) throws -> RemoteBlob?

    /// Stores the finished blob file `file` (`storedBytes` long) as blob `hash`, replacing any copy
    /// there; returns only once the blob is durably and wholly in the remote.
    func upload(_ hash: String, from file: URL, storedBytes: Int64) throws

    /// Writes the bytes of blob `hash` into a new file at `file` and returns what was read, or nil if
    /// the remote has no such blob. Calls `arrived` with the file's length whenever more bytes are in
    /// it, so a reader can follow the file as it grows: the file only grows, and bytes once written
    /// stay as they are. An error from `arrived` stops the download and is rethrown. On failure,
    /// whatever reached `file` is the caller's to delete.
    func download(_ hash: String, to file: URL, arrived: (Int64) throws -> Void) throws -> RemoteBlob?

    /// Deletes blob `hash`; with `version`, only if the copy there is still that version. Returns
    /// whether a copy was deleted.
    @discardableResult
    func delete(_ hash: String, ifVersion version: String?) throws -> Bool

    /// Calls `body` with every blob in the remote, in no particular order. Objects not named like
    /// blobs are skipped.
    func forEachBlob(_ body: (RemoteBlob) throws -> Void) throws

    /// Removes uploads that were started more than `age` seconds ago and never finished (multipart
    /// uploads, temporary files); returns how many.
    @discardableResult
    func removeAbandonedUploads(olderThan age: TimeInterval) throws -> Int
}

extension BlobRemote {
    /// Every blob in the remote, sorted by hash.
    public func allBlobs() throws -> [RemoteBlob] {
        var blobs: [RemoteBlob] = []
        try forEachBlob { blobs.append($0) }
        return blobs.sorted { $0.hash < $1.hash }
    }
}

/// The relative path of blob `hash` in the shared layout: `ab/cdef….zst`.
func remoteBlobName(_ hash: String) -> String {
    "\(hash.prefix(2))/\(hash.dropFirst(2)).zst"
}

/// The hash a shared-layout name (`ab/cdef….zst`, after the location) stands for, or nil.
func hashOfRemoteBlobName(_ name: Substring) -> String? {
    guard name.hasSuffix(".zst") else { return nil }
    let parts = name.dropLast(4).split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 2 else { return nil }
    let hash = String(parts[0] + parts[1])
    return BlobStore.isValidHash(hash) ? hash : nil
}
