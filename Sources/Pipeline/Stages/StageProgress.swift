// Progress of a stage's long loops over a data set (generating, packing, decoding, streaming,
// extracting features) as live lines: how far, how fast, how long still. The run printer redraws
// them in place on a terminal and thins them out in a log.
import Engine
import Foundation

/// Counts the items a stage has done out of a known total and reports them at most once a second.
struct StageProgress {
    private let context: StageContext
    private let total: Int
    private let what: String
    private let started = DispatchTime.now().uptimeNanoseconds
    /// Nothing is said in the first second: short loops stay quiet.
    private lazy var lastReport = started
    private(set) var done = 0

    /// `what` names the items in the line: "images decoded", "features".
    init(_ context: StageContext, total: Int, _ what: String) {
        self.context = context
        self.total = total
        self.what = what
    }

    /// Records `count` more items done.
    mutating func advance(by count: Int = 1) {
        done += count
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastReport >= 1_000_000_000 else { return }
        lastReport = now
        let seconds = Double(now - started) / 1e9
        let rate = Double(done) / max(seconds, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        context.events(.progress(stage: context.name, line: "\(what): \(done) of \(total) (\(100 * done / max(total, 1)) %), "
                                 + String(format: "%.1f", rate) + "/s, ETA " + TrainingProgress.duration(eta)))
    }
}
