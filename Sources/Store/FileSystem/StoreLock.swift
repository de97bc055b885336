// The store-wide advisory lock (`root/lock`, flock): writers share it, gc takes it alone.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A held flock on `root/lock`. Runs and other writers hold it `.shared` for as long as they may put
/// blobs; gc holds it `.exclusive` while it marks and sweeps, so it never deletes under a live run.
/// The lock is released by `release()`, on deinit, or by the kernel when the process dies, so a crash
/// never leaves the store locked. It is per open file: two `StoreLock`s in one process exclude each
/// other like two processes would.
public final class StoreLock {
    /// Shared by runs and other writers; exclusive for gc, which must not sweep under a writer.
    public enum Mode: Sendable {
        case shared
        case exclusive
    }

    public let mode: Mode
    private var file: PosixFile?

    /// Takes the lock of the store at `root` (the folder must exist). With `wait` false, a lock held
    /// by another process in a conflicting mode fails at once with `StoreError.busy`; with `wait` true
    /// this blocks until it is free.
    public init(root: URL, mode: Mode, wait: Bool = false) throws {
        let path = root.appendingPathComponent("lock").path
        let file = try PosixFile.openFile(path, flags: O_RDWR | O_CREAT, mode: 0o644)
        let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        while flock(file.descriptor, operation) != 0 {
            let code = errno
            if code == EINTR { continue }
            file.closeFile()
            if code == EWOULDBLOCK { throw StoreError.busy(root: root.path) }
            throw StoreError.io(operation: "flock", path: path, code: code)
        }
        self.mode = mode
        self.file = file
    }

    /// Releases the lock now; later calls do nothing.
    public func release() {
        file?.closeFile()
        file = nil
    }

    deinit { release() }
}
