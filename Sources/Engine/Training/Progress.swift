// Training progress for people watching: a live line rewritten per batch on a terminal, plain lines
// every few seconds in logs, nothing when quiet. Output and clock are injected so tests can drive it.
import Foundation

/// Reports batches and epochs of a training run.
public struct TrainingProgress {
    /// Where and how often progress is written.
    public enum Style: Equatable, Sendable {
        /// One line rewritten in place (`\r`) after every batch.
        case live
        /// A full line at most every `seconds` (logs, pipes).
        case periodic(seconds: Double)
        case quiet
    }

    public let style: Style
    public let epochs: Int
    public let batchesPerEpoch: Int
    private let write: (String) -> Void
    private let clock: () -> Double

    private var epoch = 0
    private var epochStart = 0.0
    private var lastLine = -Double.infinity
    private var liveWidth = 0
    private var batches = 0, images = 0, correct = 0
    private var lossSum = 0.0

    /// `write` receives text exactly as it should appear (with `\r` and `\n`); `clock` gives seconds.
    public init(style: Style, epochs: Int, batchesPerEpoch: Int,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.style = style
        self.epochs = epochs
        self.batchesPerEpoch = batchesPerEpoch
        self.write = write
        self.clock = clock
    }

    /// Starts epoch `epoch` (0-based): running figures restart.
    public mutating func startEpoch(_ epoch: Int) {
        self.epoch = epoch
        epochStart = clock()
        batches = 0; images = 0; correct = 0; lossSum = 0
    }

    /// Records one finished batch: its mean loss, size and correctly classified examples.
    public mutating func batchFinished(loss: Double, images batchImages: Int, correct batchCorrect: Int) {
        batches += 1
        images += batchImages
        correct += batchCorrect
        lossSum += loss * Double(batchImages)
        let now = clock()
        switch style {
        case .quiet: return
        case .live: show(line(now: now))
        case let .periodic(seconds):
            guard now - lastLine >= seconds || batches == batchesPerEpoch else { return }
            lastLine = now
            write(line(now: now) + "\n")
        }
    }

    /// Ends the epoch with a summary such as `loss 0.41 accuracy 86.2% val_loss 0.52 …`.
    public mutating func endEpoch(summary: String) {
        let text = "epoch \(epoch + 1)/\(epochs)  \(summary)  \(Self.duration(clock() - epochStart))"
        switch style {
        case .quiet: return
        case .live:
            show(text)
            write("\n")
            liveWidth = 0
        case .periodic: write(text + "\n")
        }
    }

    /// Rewrites the live line, blanking what a longer previous one left behind.
    private mutating func show(_ text: String) {
        write("\r" + text + String(repeating: " ", count: max(0, liveWidth - text.count)))
        liveWidth = text.count
    }

    private func line(now: Double) -> String {
        let elapsed = max(now - epochStart, 1e-9)
        let rate = Double(images) / elapsed
        let eta = elapsed / Double(batches) * Double(batchesPerEpoch - batches)
        return "epoch \(epoch + 1)/\(epochs)  batch \(batches)/\(batchesPerEpoch)"
            + "  loss " + String(format: "%.4f", lossSum / Double(max(images, 1)))
            + "  acc " + String(format: "%.2f%%", 100 * Double(correct) / Double(max(images, 1)))
            + "  " + String(format: "%.1f", rate) + " img/s  ETA " + Self.duration(eta)
    }

    /// 75 s → "1:15", 3725 s → "1:02:05".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
        let mmss = String(format: "%d:%02d", m, r)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : mmss
    }
}
