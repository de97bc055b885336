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

    /// Makes the finished blob file at `file` the remote copy of `hash`.
    func publish(_ file: String, as hash: String, storedBytes: Int64, to remote: any BlobRemote) throws {
        if let existing = try remote.head(hash), existing.storedBytes == storedBytes,
           Date().timeIntervalSince(existing.lastModified) < Self.remoteReuseWindow {
            return
        }
        try remote.upload(hash, from: URL(fileURLWithPath: file), storedBytes: storedBytes)
    }

    /// Runs `body` with the path of a file holding blob `hash`, which `body` must read through with
    /// `decompress` (so the hash is checked). A blob in the folder is read there. Otherwise it is
    /// downloaded to `tmp/` under a per-blob lock (so processes sharing the cache download it once),
    /// read by `body`, and renamed into the cache only if it verified. A download that fails its hash
    /// check is kept in `quarantine/` and its remote copy deleted, so the next put of the blob, by
    /// whichever machine recomputes it, uploads a good one.
    func withLocalCopy<T>(of hash: String, _ body: (String) throws -> T) throws -> T {
        let path = try blobPath(hash)
        guard let remote, !PosixFile.exists(path) else { return try body(path) }
        let lock = try fetchLock(hash)
        defer {
            _ = try? PosixFile.removeFile(lock.path)
            lock.closeFile()
        }
        if PosixFile.exists(path) { return try body(path) }
        return try downloaded(hash, from: remote, removeCorrupt: true, keep: true, body)
    }

    /// Downloads blob `hash` (whether or not the cache holds it), verified. Used by `info` and by
    /// remote verification.
    func fetch(_ hash: String) throws {
        try withLocalCopy(of: hash) { try checkFile(hash, at: $0) }
    }

    /// Downloads blob `hash` from `remote` into a temporary file and runs `body` on it; with `keep`,
    /// renames it into the cache if `body` returned. If `body` finds it corrupt, the download goes to
    /// `quarantine/` and, with `removeCorrupt`, the remote copy is deleted if it is still the one read.
    private func downloaded<T>(_ hash: String, from remote: any BlobRemote, removeCorrupt: Bool, keep: Bool,
                               _ body: (String) throws -> T) throws -> T {
        let temporary = tmpPath + "/\(getpid())-\(UUID().uuidString).tmp"
        do {
            guard let copy = try remote.download(hash, to: URL(fileURLWithPath: temporary)) else {
                throw StoreError.missing(hash: hash, path: "\(try blobPath(hash)) or \(remote.address(of: hash))")
            }
            let file = try PosixFile.openFile(temporary, flags: O_RDONLY)
            defer { file.closeFile() }
            try file.sync()
            let result: T
            do {
                result = try body(temporary)
            } catch StoreError.corrupt(_, _, let reason) {
                throw remoteCorruption(hash, download: temporary, copy: copy, reason: reason,
                                       remote: remote, removeCorrupt: removeCorrupt)
            }
            if keep {
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

    /// The error for a remote copy that failed its hash check, after keeping the bytes for inspection
    /// and (with `removeCorrupt`) deleting the copy from the remote.
    private func remoteCorruption(_ hash: String, download: String, copy: RemoteBlob, reason: String,
                                  remote: any BlobRemote, removeCorrupt: Bool) -> StoreError {
        var notes = [reason]
        let kept = "\(quarantinePath)/\(hash)-remote-\(UUID().uuidString.prefix(8)).zst"
        if (try? PosixFile.move(download, to: kept)) != nil { notes.append("the downloaded copy is kept as \(kept)") }
        if removeCorrupt {
            do {
                if try remote.delete(hash, ifVersion: copy.version) {
                    notes.append("the remote copy was deleted, so recomputing the blob uploads it anew")
                }
            } catch {
                notes.append("deleting the remote copy failed: \(error)")
            }
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
    /// blob, leaving the cache as it was. With `removeCorrupt`, a corrupt copy is deleted from the
    /// remote (it is kept in `quarantine/` either way).
    public func verifyRemote(_ hash: String, removeCorrupt: Bool = false) throws -> BlobCheck {
        let remote = try requireRemote()
        return blobCheck {
            try downloaded(hash, from: remote, removeCorrupt: removeCorrupt, keep: false) { try checkFile(hash, at: $0) }
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
