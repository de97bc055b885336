// The scratch folder a stage computes in: `tlab-stage-<pid>-<uuid>` in the temporary folder, removed
// when the stage ends, by the interrupt handler on Ctrl-C, and, for a process that died without
// either (SIGKILL, a crash), by the next run on the same machine. A folder is in use while its
// process holds an flock on it: the kernel drops the lock when the process dies, however it dies,
// where a pid can be reused by another process or belong to another PID namespace; an unlocked folder
// whose pid is alive is kept too (a tlab from before the locks may be using it).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stage's scratch folder, locked by this process until `remove`.
final class StageScratch {
    static let prefix = "tlab-stage-"
    /// A folder's name while it is created and locked: the sweep never looks at it, so it cannot
    /// take a folder in the instant between its creation and its lock.
    static let claimingPrefix = "tlab-claiming-"

    let url: URL
    private var descriptor: Int32

    /// Creates and locks a new scratch folder for this process in `temporary`.
    init(in temporary: URL = FileManager.default.temporaryDirectory) throws {
        let name = "\(getpid())-\(UUID().uuidString)"
        let claiming = temporary.appendingPathComponent(Self.claimingPrefix + name)
        url = temporary.appendingPathComponent(Self.prefix + name)
        guard mkdir(claiming.path, 0o700) == 0 else {
            throw ExecutionError.scratch(path: claiming.path, reason: String(cString: strerror(errno)))
        }
        descriptor = open(claiming.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0, rename(claiming.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { Glibc.close(descriptor) }
            try? FileManager.default.removeItem(at: claiming)
            throw ExecutionError.scratch(path: url.path, reason: reason)
        }
    }

    /// Removes the folder, then gives up its lock.
    func remove() {
        try? FileManager.default.removeItem(at: url)
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { remove() }

    /// Removes the scratch folders in `temporary` that no live process holds; returns their names.
    /// A folder of a live process (this one, or another run) stays, as do folders not named so.
    @discardableResult
    static func sweepStale(in temporary: URL = FileManager.default.temporaryDirectory) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        return names.filter { name in
            guard name.hasPrefix(prefix) else { return false }
            let folder = temporary.appendingPathComponent(name)
            let probe = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard probe >= 0 else { return false }
            defer { Glibc.close(probe) }
            // Held by another open of the folder, in this process or another: in use.
            guard flock(probe, LOCK_EX | LOCK_NB) == 0 else { return false }
            // Unlocked but named by a live process: a tlab from before scratch folders were locked
            // may still be computing in it. Kept; the cost is a stale folder kept while its pid is reused.
            if let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), kill(pid, 0) == 0 || errno == EPERM {
                return false
            }
            return (try? FileManager.default.removeItem(at: folder)) != nil
        }
    }
}
