// The errors of the artifact store's blob layer and lock; each names the blob, file or store involved.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a blob store operation failed.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The folder exists and holds files but no `blobs/` folder, so it is not an artifact store.
    case notAStore(root: String, reason: String)
    /// A blob id that is not 64 lowercase hexadecimal characters.
    case invalidHash(String)
    /// No blob with this hash in the store.
    case missing(hash: String, path: String)
    /// The stored blob does not decompress to bytes with its hash (flipped, truncated or foreign file).
    case corrupt(hash: String, path: String, reason: String)
    /// A streaming put declared its size up front and then wrote a different number of bytes.
    case sizeMismatch(declared: Int64, written: Int64)
    /// libzstd refused an operation.
    case compression(operation: String, message: String)
    /// A system call failed on a file of the store.
    case io(operation: String, path: String, code: Int32)
    /// Another process holds the store lock in a mode that excludes the one asked for.
    case busy(root: String)
    /// A remote-tier operation on a store that has no remote tier.
    case noRemote(root: String)

    public var description: String {
        switch self {
        case let .notAStore(root, reason):
            return "\(root) is not an artifact store (\(reason)); point at an empty or missing folder to create one, or at a folder that has blobs/"
        case let .invalidHash(hash):
            return "'\(hash)' is not a blob hash: expected 64 lowercase hexadecimal characters (SHA-256)"
        case let .missing(hash, path):
            return "blob \(hash) is missing: no file at \(path)"
        case let .corrupt(hash, path, reason):
            return "blob \(hash) at \(path) is corrupt: \(reason); quarantine it (it gets recomputed) or restore it"
        case let .sizeMismatch(declared, written):
            return "streaming put declared \(declared) bytes but wrote \(written)"
        case let .compression(operation, message):
            return "zstd \(operation) failed: \(message)"
        case let .io(operation, path, code):
            return "\(operation) \(path) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .busy(root):
            return "another tlab process is using the store at \(root); wait for it to finish and try again"
        case let .noRemote(root):
            return "the store at \(root) keeps its blobs in its own folder, not in S3 or a shared folder; this needs a store with a remote tier"
        }
    }
}
