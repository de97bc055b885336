// The one rule for how long to wait between attempts at a server that stopped answering (S3,
// PostgreSQL): exponential steps with jitter, so many clients of one restarted server do not all
// come back in the same instant.
import Foundation

/// Waits between attempts: the step doubles from `base` up to `ceiling`, each wait a random half to
/// all of its step.
struct RetryBackoff: Sendable, Equatable {
    var base: TimeInterval
    var ceiling: TimeInterval

    /// The wait after failed attempt `attempt` (1-based).
    func delay(after attempt: Int) -> TimeInterval {
        let step = min(ceiling, base * pow(2, Double(attempt - 1)))
        return step * Double.random(in: 0.5...1)
    }
}
