// The cheap check a cache hit makes: is the blob there, without reading it. Reading is what proves a
// blob whole; every read does, and a read that fails marks the blob unusable for this process until a
// put stores it again, so the stage that produced it recomputes instead of being reused.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobStore {
    /// Whether blob `hash` is there to be read, without reading it: `.missing` when neither the folder
    /// nor the remote has it, `.corrupt` when the folder's file is not a non-empty regular file or a
    /// read in this process found the blob damaged or missing (until a put stores it again), else
    /// `.intact`, which here means only "present". A stat per blob (a HEAD for one only in the remote),
    /// so checking a stage's outputs costs the same for 1 KB and 1 GB; `verify` reads and re-hashes.
    public func presence(_ hash: String) -> BlobCheck {
        if let reason = unusableBlobs.reason(hash) { return .corrupt(reason: reason) }
        guard let path = try? blobPath(hash) else { return .corrupt(reason: "'\(hash)' is not a blob hash") }
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFREG, status.st_size > 0 else {
                return .corrupt(reason: "\(path) is not a non-empty file")
            }
            return .intact
        }
        guard let remote else { return .missing }
        do {
            return try remote.head(hash) == nil ? .missing : .intact
        } catch {
            return .corrupt(reason: "\(error)")
        }
    }

    /// Whether a read in this process found blob `hash` missing or damaged since it was last put:
    /// what a failed stage asks of its inputs to tell damage from its own failure.
    public func readFoundUnusable(_ hash: String) -> Bool {
        unusableBlobs.reason(hash) != nil
    }

    /// Runs a read of blob `hash`; if it finds the blob missing or damaged, marks it so `presence`
    /// stops reporting it until a put stores it again, and rethrows.
    func markingUnusable<T>(_ hash: String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as StoreError {
            switch error {
            case .missing(hash, _), .corrupt(hash, _, _): unusableBlobs.insert(hash, reason: "\(error)")
            default: break
            }
            throw error
        }
    }
}

/// Blobs a read in this process found missing or damaged, with what it found; a put that stores one
/// again removes it.
final class UnusableBlobs: @unchecked Sendable {
    private let lock = NSLock()
    private var reasons: [String: String] = [:]

    func insert(_ hash: String, reason: String) { lock.withLock { reasons[hash] = reason } }
    func remove(_ hash: String) { _ = lock.withLock { reasons.removeValue(forKey: hash) } }
    func reason(_ hash: String) -> String? { lock.withLock { reasons[hash] } }
}
