// The remote tier behind a blob store's folder: uploading on put, downloading into the cache on read,
// healing a damaged remote copy, and the per-blob remote operations verify and gc build on.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobStore {
    /// A put skips the upload when the remote has a copy of the same size written less than this long
    /// ago. An older copy may be an orphan a gc is about to sweep, so it is uploaded again, which
    /// restarts its grace period; a gc's remote grace must exceed the longest stage plus this window.
    public static let remoteReuseWindow: TimeInterval = 3600

    /// Makes the finished blob file at `file` the remote copy of `hash`. A remote copy this process
    /// found corrupt is overwritten whatever its size and age.
    func publish(_ file: String, as hash: String, storedBytes: Int64, to remote: any BlobRemote) throws {
        if !corruptRemoteCopies.contains(hash), let existing = try remote.head(hash), existing.storedBytes == storedBytes,
           Date().timeIntervalSince(existing.lastModified) < Self.remoteReuseWindow {
            return
        }
        try remote.upload(hash, from: URL(fileURLWithPath: file), storedBytes: storedBytes)
        corruptRemoteCopies.remove(hash)
    }

    /// Whether a put uploads while it compresses, given the blob's hash before it starts (`put`'s
    /// `expectedHash`): the object's key is the hash, so callers that can read their bytes twice
    /// (in memory) hash them first. An S3 remote takes a file as it grows; other remotes take the
    /// finished file, and for a store without a remote the hash would be computed twice for nothing.
    var hashesBeforePut: Bool { remote is S3BlobRemote }

    /// An upload of blob `hash` that follows the put's temporary file `file` as the put writes it, or
    /// nil where the finished file is published instead: the remote cannot follow a file, or has a
    /// fresh copy that `publish` may reuse.
    func uploadWhileWriting(_ hash: String, file: String, rawBytes: Int64?) throws -> FollowingUpload? {
        guard let s3 = remote as? S3BlobRemote else { return nil }
        if !corruptRemoteCopies.contains(hash), let existing = try s3.head(hash),
           Date().timeIntervalSince(existing.lastModified) < Self.remoteReuseWindow {
            return nil
        }
        let corrupt = corruptRemoteCopies
        return FollowingUpload { arriving in
            try s3.upload(hash, whileWriting: file, rawBytes: rawBytes, arriving: arriving)
            corrupt.remove(hash)
        }
    }

    /// Runs `body` with the path of a file holding blob `hash`, which `body` must read through with
    /// `decompress` (so the hash is checked). A blob in the folder is read there. Otherwise it is
    /// downloaded to `tmp/` under a per-blob lock (so processes sharing the cache download it once),
    /// read by `body`, and renamed into the cache only if it verified. A download that fails its hash
    /// check goes to `quarantine/` and is downloaded again, since the bytes may have been damaged on
    /// the way; if that fails too, the blob is reported corrupt and the next put of it, by this process
    /// recomputing it, overwrites the remote copy. A read never deletes a remote copy. `body` runs on
    /// the second download only if `bodyRepeats` (it only checks); a body that streamed the first
    /// download's bytes to a caller fails instead, with the good copy in the cache for the next read.
    ///
    /// The blob is held (see `holding`) throughout, so a capped cache does not evict it under `body`;
    /// a cached copy another process evicted between the check and the open is downloaded instead.
    func withLocalCopy<T>(of hash: String, bodyRepeats: Bool = false, _ body: (BlobCopy) throws -> T) throws -> T {
        let path = try blobPath(hash)
        guard let remote else { return try body(BlobCopy(path: path)) }
        return try holding([hash]) {
            if PosixFile.exists(path) {
                noteUse(path)
                do {
                    return try body(BlobCopy(path: path))
                } catch StoreError.missing(hash, path) where !PosixFile.exists(path) {
                    // Evicted after the check: fetched below like any blob the cache lacks.
                }
            }
            return try fetching(hash, from: remote, bodyRepeats: bodyRepeats, body)
        }
    }

    /// The download half of `withLocalCopy`, under the per-blob fetch lock.
    private func fetching<T>(_ hash: String, from remote: any BlobRemote, bodyRepeats: Bool,
                             _ body: (BlobCopy) throws -> T) throws -> T {
        let path = try blobPath(hash)
        let lock = try fetchLock(hash)
        defer {
            _ = try? PosixFile.removeFile(lock.path)
            lock.closeFile()
        }
        if PosixFile.exists(path) { return try body(BlobCopy(path: path)) }
        return try downloaded(hash, from: remote, removeCorrupt: false, keep: true, bodyRepeats: bodyRepeats, body)
    }

    /// Downloads blob `hash` (whether or not the cache holds it), verified. Used by `info` and by
    /// remote verification.
    func fetch(_ hash: String) throws {
        try withLocalCopy(of: hash, bodyRepeats: true) { try checkFile(hash, at: $0) }
    }

    /// A download whose bytes failed the hash check: the copy it read, why, and where the bytes went.
    private struct MismatchedDownload: Error {
        let copy: RemoteBlob
        let reason: String
        let kept: String?
    }

    /// Downloads blob `hash` from `remote` and runs `body` on it (see `downloadOnce`). A download that
    /// fails its hash check is quarantined and downloaded afresh; only when the second also fails is
    /// the remote copy judged corrupt, and only then, with `removeCorrupt` (`verify --remote-content
    /// --quarantine`), deleted if it is still the version both downloads read.
    private func downloaded<T>(_ hash: String, from remote: any BlobRemote, removeCorrupt: Bool, keep: Bool,
                               bodyRepeats: Bool, _ body: (BlobCopy) throws -> T) throws -> T {
        let first: MismatchedDownload
        do {
            return try downloadOnce(hash, from: remote, keep: keep, body)
        } catch let mismatch as MismatchedDownload {
            first = mismatch
        }
        do {
            if bodyRepeats { return try downloadOnce(hash, from: remote, keep: keep, body) }
            try downloadOnce(hash, from: remote, keep: keep) { try checkFile(hash, at: $0) }
            // The caller already received the damaged bytes: it must fail, but the next read finds a good copy.
            throw StoreError.corrupt(hash: hash, path: remote.address(of: hash), reason: first.reason
                + "; the download was damaged on the way (kept as \(first.kept ?? "nothing")): a second download "
                + "verified\(keep ? " and is in the cache now, so reading again succeeds" : "")")
        } catch let second as MismatchedDownload {
            corruptRemoteCopies.insert(hash)
            throw remoteCorruption(hash, downloads: [first, second], remote: remote, removeCorrupt: removeCorrupt)
        }
    }

    /// Downloads blob `hash` into a temporary file while `body` reads it (the download runs on a thread
    /// of its own, `body` follows the file as it grows, so the hash check overlaps the transfer); with
    /// `keep`, fsyncs the file and renames it into the cache once `body` returned. If `body` finds it
    /// corrupt, the download is completed, the bytes go to `quarantine/` and `MismatchedDownload` is
    /// thrown. A download that fails fails `body` with its error once `body` has read what arrived.
    private func downloadOnce<T>(_ hash: String, from remote: any BlobRemote, keep: Bool,
                                 _ body: (BlobCopy) throws -> T) throws -> T {
        let temporary = tmpPath + "/\(getpid())-\(UUID().uuidString).tmp"
        let missing = StoreError.missing(hash: hash, path: "\(try blobPath(hash)) or \(remote.address(of: hash))")
        let arriving = ArrivingFile()
        let download = BackgroundTransfer { () throws -> RemoteBlob in
            do {
                guard let copy = try remote.download(hash, to: URL(fileURLWithPath: temporary), arrived: arriving.arrived) else {
                    throw missing
                }
                arriving.end(failure: nil)
                return copy
            } catch {
                arriving.end(failure: error)
                throw error
            }
        }
        do {
            let result: T
            do {
                result = try body(BlobCopy(path: temporary, arriving: arriving))
            } catch StoreError.corrupt(_, _, let reason) {
                let copy = try download.wait()
                let kept = "\(quarantinePath)/\(hash)-remote-\(UUID().uuidString.prefix(8)).zst"
                throw MismatchedDownload(copy: copy, reason: reason,
                                         kept: (try? PosixFile.move(temporary, to: kept)) != nil ? kept : nil)
            } catch {
                arriving.abandon()
                // The download's own failure (a missing object, the server gone) says more than the
                // reader's report of it.
                do { _ = try download.wait() } catch is ArrivingFile.ReaderGone {}
                throw error
            }
            let copy = try download.wait()
            if keep {
                let file = try PosixFile.openFile(temporary, flags: O_RDONLY)
                defer { file.closeFile() }
                try file.sync()
                try commit(temporary, as: hash, storedBytes: copy.storedBytes)
            } else {
                try PosixFile.removeFile(temporary)
            }
            return result
        } catch {
            _ = try? PosixFile.removeFile(temporary)
            throw error
        }
    }

    /// The error for a remote copy that failed its hash check on two downloads, after (with
    /// `removeCorrupt`) deleting it from the remote if both read the version still there.
    private func remoteCorruption(_ hash: String, downloads: [MismatchedDownload], remote: any BlobRemote,
                                  removeCorrupt: Bool) -> StoreError {
        let last = downloads[downloads.count - 1]
        var notes = [last.reason + " (on \(downloads.count) downloads)"]
        let kept = downloads.compactMap(\.kept)
        if !kept.isEmpty { notes.append("the downloaded copies are kept as \(kept.joined(separator: " and "))") }
        let sameVersion = Set(downloads.map(\.copy.version)).count == 1
        if removeCorrupt && sameVersion {
            do {
                if try remote.delete(hash, ifVersion: last.copy.version) {
                    notes.append("the remote copy was deleted, so recomputing the blob uploads it anew")
                }
            } catch {
                notes.append("deleting the remote copy failed: \(error)")
            }
        } else {
            notes.append("the remote copy was left in place (recomputing the blob here uploads it anew; "
                + "`tlab verify --remote-content --quarantine` deletes it)")
        }
        return .corrupt(hash: hash, path: remote.address(of: hash), reason: notes.joined(separator: "; "))
    }

    /// An exclusive flock on `tmp/<hash>.fetch`, waited for.
    private func fetchLock(_ hash: String) throws -> PosixFile {
        let file = try PosixFile.openFile("\(tmpPath)/\(hash).fetch", flags: O_RDWR | O_CREAT, mode: 0o644)
        while flock(file.descriptor, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let code = errno
            file.closeFile()
            throw StoreError.io(operation: "flock", path: file.path, code: code)
        }
        return file
    }

    // MARK: Remote maintenance (verify and gc build on these)

    /// The remote tier, or `StoreError.noRemote` for a store without one.
    func requireRemote() throws -> any BlobRemote {
        guard let remote else { throw StoreError.noRemote(root: root.path) }
        return remote
    }

    /// Every blob in the remote tier with its size, time and version, sorted by hash.
    public func remoteBlobs() throws -> [RemoteBlob] {
        try requireRemote().allBlobs()
    }

    /// Downloads the remote copy of blob `hash` and re-hashes it, whether or not the cache holds the
    /// blob, leaving the cache as it was. A copy that fails its check is downloaded a second time; with
    /// `removeCorrupt`, one that fails both is deleted from the remote (the downloaded bytes are kept in
    /// `quarantine/` either way).
    public func verifyRemote(_ hash: String, removeCorrupt: Bool = false) throws -> BlobCheck {
        let remote = try requireRemote()
        return blobCheck {
            try downloaded(hash, from: remote, removeCorrupt: removeCorrupt, keep: false, bodyRepeats: true) {
                try checkFile(hash, at: $0)
            }
        }
    }

    /// Deletes blob `hash` from the remote tier (only if its copy is still `version`, when given) and
    /// from the cache. Returns whether the remote copy was deleted.
    @discardableResult
    public func removeFromRemote(_ hash: String, ifVersion version: String? = nil) throws -> Bool {
        let deleted = try requireRemote().delete(hash, ifVersion: version)
        if deleted { try remove(hash) }
        return deleted
    }
}

/// An upload on a thread of its own that follows a put's file as the put writes it.
final class FollowingUpload: @unchecked Sendable {
    let arriving: ArrivingFile
    private let transfer: BackgroundTransfer<Void>

    init(_ upload: @escaping @Sendable (ArrivingFile) throws -> Void) {
        let file = ArrivingFile()
        arriving = file
        transfer = BackgroundTransfer { try upload(file) }
    }

    /// The put wrote the whole blob: waits until the object exists whole in the remote.
    func finish() throws {
        arriving.end(failure: nil)
        try transfer.wait()
    }

    /// The put failed with `error`: the upload is aborted (no object appears). Returns the error to
    /// report: the upload's own where its failure stopped the writer.
    func cancel(_ error: Error) -> Error {
        arriving.end(failure: error)
        do {
            try transfer.wait()
        } catch let uploadError where error is ArrivingFile.ReaderGone {
            return uploadError
        } catch {}
        return error
    }
}

/// The blobs whose remote copy this process found corrupt (on two downloads): the next put of one
/// uploads it even where a copy of the same size is there.
final class CorruptRemoteCopies: @unchecked Sendable {
    private let lock = NSLock()
    private var hashes: Set<String> = []

    func insert(_ hash: String) { _ = lock.withLock { hashes.insert(hash) } }
    func remove(_ hash: String) { _ = lock.withLock { hashes.remove(hash) } }
    func contains(_ hash: String) -> Bool { lock.withLock { hashes.contains(hash) } }
}
