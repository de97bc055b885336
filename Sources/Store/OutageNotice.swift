// One line when requests start waiting for a server that stopped answering (S3, PostgreSQL), one when
// it answers again, and one when the retry budget is spent: a stage of hours that rides out a server
// restart says so, rather than printing every attempt or nothing at all.
import Foundation

/// Says, through `say`, when an outage starts, ends, or outlasts the retry budget; once per outage
/// however many requests wait on it at once.
public final class OutageNotice: @unchecked Sendable {
    private let lock = NSLock()
    private var since: Date?
    private let say: @Sendable (String) -> Void

    public init(say: @escaping @Sendable (String) -> Void) { self.say = say }

    /// A request to `server` failed with `reason` and will be retried for up to `budget` seconds.
    func waiting(for server: String, reason: String, budget: TimeInterval) {
        let starts = lock.withLock { () -> Bool in
            guard since == nil else { return false }
            since = Date()
            return true
        }
        if starts {
            say("waiting for \(server) (\(reason)); retrying for up to \(Self.duration(budget)) (--retry-budget)")
        }
    }

    /// A request succeeded: the outage, if one was announced, is over.
    func answered() {
        let lasted = lock.withLock { () -> TimeInterval? in
            defer { since = nil }
            return since.map { Date().timeIntervalSince($0) }
        }
        if let lasted { say("the server answers again after \(Self.duration(lasted)) of waiting") }
    }

    /// A request gave up: its retry budget of `budget` seconds is spent.
    func gaveUp(after budget: TimeInterval) {
        lock.withLock { since = nil }
        say("giving up: the server did not answer within the retry budget of \(Self.duration(budget)) (--retry-budget)")
    }

    static func duration(_ seconds: TimeInterval) -> String {
        seconds < 120 ? String(format: "%.0f s", seconds) : String(format: "%.0f min %.0f s", (seconds / 60).rounded(.down),
                                                                   seconds.truncatingRemainder(dividingBy: 60))
    }
}
