// The blob store's remote tier in an S3-compatible bucket: one object per blob, its bytes exactly the
// local blob's zstd frame, its key `<prefix>/ab/cdef….zst`.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blobs in a bucket under a prefix, reached with the standard AWS environment variables.
public final class S3BlobRemote: BlobRemote {
    public let store: S3Location
    public let client: S3Client

    /// The blobs under `url` (`s3://bucket/prefix`), with endpoint, region and credentials from
    /// `environment` (see `S3Configuration.fromEnvironment`); with `retryBudget`, requests retry for
    /// that many seconds, telling `outageNotice` when they start and stop waiting.
    public convenience init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            retryBudget: TimeInterval? = nil, outageNotice: OutageNotice? = nil) throws {
        let location = try S3Location(url: url)
        var configuration = try S3Configuration.fromEnvironment(environment, bucket: location.bucket, retryBudget: retryBudget)
        configuration.outageNotice = outageNotice
        self.init(location: location, configuration: configuration)
    }

    public init(location: S3Location, configuration: S3Configuration) {
        store = location
        client = S3Client(bucket: location.bucket, configuration: configuration)
    }

    public var location: String { store.description }

    public func address(of hash: String) -> String { "s3://\(store.bucket)/\(key(hash))" }

    func key(_ hash: String) -> String { store.key(remoteBlobName(hash)) }

    public func head(_ hash: String) throws -> RemoteBlob? {
        try client.headObject(key(hash)).map { Self.blob(hash, size: $0.size, etag: $0.etag, modified: $0.lastModified) }
    }

    public func upload(_ hash: String, from file: URL, storedBytes: Int64) throws {
        try client.uploadFile(file, size: storedBytes, as: key(hash))
    }

    /// A download that starts over (a server answered a resumed request with the whole object, see
    /// `S3Client.getObject`) skips the bytes the file already holds instead of truncating it, as a
    /// reader may be following the file: they are the same object's first bytes (the resumed request
    /// carried If-Match), and the blob's hash check catches a server that sent another version.
    /// Uploads blob `hash` from the file at `file` while a put still compresses into it (see
    /// `S3Client.uploadGrowingFile`). With the blob's uncompressed size known, parts are made large
    /// enough for S3's 10,000 even if zstd could not shrink it (its frame is then a little larger).
    func upload(_ hash: String, whileWriting file: String, rawBytes: Int64?, arriving: ArrivingFile) throws {
        let partSize = max(Int64(client.configuration.partSize), (rawBytes ?? 0) / 9_000 + 1)
        try client.uploadGrowingFile(file, as: key(hash), partSize: partSize, arriving: arriving)
    }

    public func download(_ hash: String, to file: URL, arrived: (Int64) throws -> Void) throws -> RemoteBlob? {
        let output = try PosixFile.openFile(file.path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        defer { output.closeFile() }
        var written: Int64 = 0
        var alreadyWritten: Int64 = 0
        var unflushed = 0
        let info = try client.getObject(key(hash), restart: { alreadyWritten = written }) { piece in
            let skipped = Int(min(alreadyWritten, Int64(piece.count)))
            alreadyWritten -= Int64(skipped)
            guard skipped < piece.count else { return }
            try piece.withUnsafeBytes { try output.writeAll(UnsafeRawBufferPointer(rebasing: $0[skipped...])) }
            written += Int64(piece.count - skipped)
            try arrived(written)
            // As in BlobWriter: flushing as the bytes arrive leaves little for the store's fsync.
            unflushed += piece.count - skipped
            if unflushed >= 32 << 20 {
                output.startWriteback()
                unflushed = 0
            }
        }
        return info.map { Self.blob(hash, size: $0.size, etag: $0.etag, modified: $0.lastModified) }
    }

    @discardableResult
    public func delete(_ hash: String, ifVersion version: String?) throws -> Bool {
        // S3 has no conditional delete everywhere: check the ETag just before, which leaves a window of
        // one round trip for a new upload to land in between.
        guard let current = try head(hash) else { return false }
        if let version, current.version != version { return false }
        try client.deleteObject(key(hash))
        return true
    }

    public func forEachBlob(_ body: (RemoteBlob) throws -> Void) throws {
        let prefix = store.prefix.isEmpty ? "" : store.prefix + "/"
        try client.forEachObject(prefix: prefix) { object in
            guard let hash = hashOfRemoteBlobName(object.key.dropFirst(prefix.count)) else { return }
            try body(Self.blob(hash, size: object.size, etag: object.etag, modified: object.lastModified))
        }
    }

    /// The version is the ETag and the second it was written: a copy uploaded again with the same
    /// bytes has the same ETag (an MD5) but a later time. Whole seconds, because HEAD's Last-Modified
    /// has no finer ones than a listing's.
    private static func blob(_ hash: String, size: Int64, etag: String, modified: Date) -> RemoteBlob {
        RemoteBlob(hash: hash, storedBytes: size, lastModified: modified,
                   version: "\(etag)@\(Int64(modified.timeIntervalSince1970.rounded(.down)))")
    }

    @discardableResult
    public func removeAbandonedUploads(olderThan age: TimeInterval) throws -> Int {
        let cutoff = Date().addingTimeInterval(-age)
        let prefix = store.prefix.isEmpty ? "" : store.prefix + "/"
        var removed = 0
        for upload in try client.pendingUploads(prefix: prefix) where upload.initiated < cutoff {
            try client.abortMultipartUpload(upload.key, uploadID: upload.uploadID)
            removed += 1
        }
        return removed
    }
}
