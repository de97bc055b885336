// How `tlab run` shows a run as it happens: a line as each stage starts and ends, a stage's progress
// (a download's bytes) as one live line on a terminal and as occasional plain lines in a log, and
// epoch summaries when the trainer does not print its own.
import Foundation
import Pipeline
import Store

/// Turns executor events into output lines. Events arrive from several threads when stages run in
/// parallel, so every write happens under one lock.
final class RunEventPrinter: @unchecked Sendable {
    private let terminal: Terminal
    private let quiet: Bool
    /// Whether epoch summaries are printed here (labelled with their stage) rather than by the trainer.
    private let printsEpochs: Bool
    /// In a log, at most one progress line (a download's bytes) per stage this often.
    private let logProgressInterval: TimeInterval
    private let lock = NSLock()
    private var liveLineShown = false
    private var lastLoggedProgress: [String: Date] = [:]

    init(terminal: Terminal = .standardOutput, quiet: Bool, printsEpochs: Bool, logProgressInterval: TimeInterval = 10) {
        self.terminal = terminal
        self.quiet = quiet
        self.printsEpochs = printsEpochs
        self.logProgressInterval = logProgressInterval
    }

    func handle(_ event: ExecutionEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case let .runStarted(runID, pipeline):
            emit("run \(runID) of \(pipeline)")
        case let .stageStarted(stage, keyPrefix, reason):
            // A hit's one line comes when it finishes; starting it says nothing new. Quiet runs show
            // only how each stage ended.
            guard reason != "cached", !quiet else { return }
            emit("\(terminal.paint("start   ", .bold)) \(stage)  key \(keyPrefix): \(reason)")
        case let .stageFinished(stage, outcome, seconds):
            switch outcome {
            case .hit where !quiet: emit("\(terminal.paint("cached  ", .dim)) \(stage)")
            case .hit: break
            case .computed: emit("\(terminal.paint("computed", .green)) \(stage) in \(DisplayFormat.seconds(seconds))")
            }
        case let .stageFailed(stage, error):
            emit("\(terminal.paint("FAILED  ", .red)) \(stage): \(printable(error, limit: 4000))")
        case let .stageSkipped(stage, upstream):
            emit("\(terminal.paint("skipped ", .yellow)) \(stage): \(upstream) did not finish")
        case let .progress(stage, line):
            guard !quiet else { return }
            if terminal.isInteractive {
                // A live line that wrapped could not be rewritten in place: cut it to the width.
                var live = "\(stage): \(line)"
                if let columns = terminal.columns, live.count >= columns { live = String(live.prefix(columns - 1)) }
                write("\r\u{1B}[K" + live)
                liveLineShown = true
            } else if Date().timeIntervalSince(lastLoggedProgress[stage] ?? .distantPast) >= logProgressInterval {
                lastLoggedProgress[stage] = Date()
                emit("         \(stage): \(line)")
            }
        case let .epochSummary(stage, line):
            if printsEpochs && !quiet { emit("         \(stage): \(line)") }
        case let .reproduction(stage, identical, text):
            emit(identical ? "\(terminal.paint("same    ", .green)) \(stage): \(text)"
                 : "\(terminal.paint("DIFFERS ", .red)) \(stage): \(text)")
        case let .message(stage, text):
            if !quiet { emit("         " + (stage.map { "\($0): " } ?? "") + text) }
        case .runFinished:
            clearLiveLine()
        }
    }

    /// A line that stays, printed above the live line (which the next progress event redraws).
    private func emit(_ line: String) {
        clearLiveLine()
        write(line + "\n")
    }

    private func clearLiveLine() {
        if liveLineShown {
            write("\r\u{1B}[K")
            liveLineShown = false
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
