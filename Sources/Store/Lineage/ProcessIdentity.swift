// Who owns a running row: host, pid and the process's start time, so a dead owner can be recognised
// even when the kernel has handed its pid to an unrelated process since.
import Foundation

/// The process that started a run or stage run.
public struct ProcessIdentity: Sendable, Equatable {
    public var host: String
    public var pid: Int32
    /// Start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`); nil where there is no /proc.
    public var startTicks: Int64?

    public init(host: String, pid: Int32, startTicks: Int64?) {
        self.host = host
        self.pid = pid
        self.startTicks = startTicks
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(host: hostName(), pid: pid, startTicks: startTicks(of: pid))
    }

    /// The start time of a live process, or nil if it does not exist or the system has no /proc.
    public static func startTicks(of pid: Int32) -> Int64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parseStartTicks(stat)
    }

    /// Field 22 of a `/proc/<pid>/stat` line. The command name (field 2) sits in parentheses and may
    /// itself hold spaces and parentheses, so fields are counted from the last `)`.
    static func parseStartTicks(_ stat: String) -> Int64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // After the name come field 3 (state) onwards, so field 22 is at offset 19.
        guard fields.count > 19 else { return nil }
        return Int64(fields[19])
    }

    /// Whether a process with this pid exists on this host; EPERM means it exists but is not ours.
    static func pidExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown-host" }
        return String(cString: buffer)
    }
}

/// Decides whether the owner of a `running` row is gone, seen from one observing process.
struct LivenessCheck {
    var observer: ProcessIdentity
    /// Rows owned by another host cannot be probed; they count as dead once older than this.
    var foreignHostTimeout: TimeInterval

    func ownerIsGone(host: String, pid: Int32, processStart: Int64?, started: Date, now: Date) -> Bool {
        guard host == observer.host else {
            return now.timeIntervalSince(started) > foreignHostTimeout
        }
        if pid == observer.pid {
            // Our own pid: still us unless the row was written by an earlier process that had it.
            return processStart != nil && observer.startTicks != nil && processStart != observer.startTicks
        }
        guard ProcessIdentity.pidExists(pid) else { return true }
        guard let recorded = processStart, let live = ProcessIdentity.startTicks(of: pid) else { return false }
        return recorded != live
    }
}
