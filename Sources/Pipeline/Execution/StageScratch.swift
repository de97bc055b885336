// The scratch folder a stage computes in: `tlab-stage-<pid>-<uuid>` in the temporary folder, removed
// when the stage ends, by the interrupt handler on Ctrl-C, and, for a process that died without
// either (SIGKILL, a crash), by the next run on the same machine.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum StageScratch {
    static let prefix = "tlab-stage-"

    /// A new, not yet created, scratch folder for this process in `temporary`.
    static func make(in temporary: URL = FileManager.default.temporaryDirectory) -> URL {
        temporary.appendingPathComponent("\(prefix)\(getpid())-\(UUID().uuidString)")
    }

    /// Removes the scratch folders in `temporary` whose process is gone; returns their names. A folder
    /// of a live process (this one, or another run) stays, as do folders not named by `make`.
    @discardableResult
    static func sweepStale(in temporary: URL = FileManager.default.temporaryDirectory) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        return names.filter { name in
            // Fewer than 8 digits: the first part of a bare UUID (older scratch names) has 8.
            let digits = name.dropFirst(prefix.count).prefix { $0 != "-" }
            guard name.hasPrefix(prefix), digits.count < 8, let pid = pid_t(digits), pid > 0, !isAlive(pid) else { return false }
            return (try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))) != nil
        }
    }

    /// Whether process `pid` exists (signal 0 checks without sending; EPERM means it exists under another user).
    private static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
