// Progress output with a scripted clock: a live line rewritten in place, periodic lines, silence.
import XCTest
@testable import Engine

final class TrainingProgressTests: XCTestCase {
    /// A progress reporter whose clock returns `times` in turn and whose output is collected.
    private func reporter(_ style: TrainingProgress.Style, times: [Double]) -> (TrainingProgress, () -> String) {
        final class Sink { var text = ""; var times: [Double] = [] }
        let sink = Sink()
        sink.times = times
        let progress = TrainingProgress(style: style, epochs: 2, batchesPerEpoch: 4,
                                        write: { sink.text += $0 }, clock: { sink.times.removeFirst() })
        return (progress, { sink.text })
    }

    func testLiveLineIsRewrittenPerBatch() {
        var (progress, output) = reporter(.live, times: [0, 1, 2, 2.5])
        progress.startEpoch(0)
        progress.batchFinished(loss: 0.5, images: 10, correct: 5)
        progress.batchFinished(loss: 0.25, images: 10, correct: 10)
        progress.endEpoch(summary: "loss 0.3750")
        XCTAssertEqual(output(),
                       "\repoch 1/2  batch 1/4  loss 0.5000  acc 50.00%  10.0 img/s  ETA 0:03"
                       + "\repoch 1/2  batch 2/4  loss 0.3750  acc 75.00%  10.0 img/s  ETA 0:02"
                       + "\repoch 1/2  loss 0.3750  0:03" + String(repeating: " ", count: 39) + "\n")
    }

    func testPeriodicLinesAreSpacedAndEndTheEpoch() {
        var (progress, output) = reporter(.periodic(seconds: 5), times: [0, 1, 2, 7, 8, 9])
        progress.startEpoch(1)
        for _ in 0..<4 { progress.batchFinished(loss: 1, images: 2, correct: 1) }
        progress.endEpoch(summary: "done")
        let lines = output().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, output())
        XCTAssertTrue(lines[0].hasPrefix("epoch 2/2  batch 1/4"))
        XCTAssertTrue(lines[1].hasPrefix("epoch 2/2  batch 3/4"))
        XCTAssertTrue(lines[2].hasPrefix("epoch 2/2  batch 4/4"))
        XCTAssertEqual(lines[3], "epoch 2/2  done  0:09")
        XCTAssertFalse(output().contains("\r"))
    }

    func testQuietWritesNothing() {
        var (progress, output) = reporter(.quiet, times: [0, 1, 2])
        progress.startEpoch(0)
        progress.batchFinished(loss: 1, images: 2, correct: 1)
        progress.endEpoch(summary: "done")
        XCTAssertEqual(output(), "")
    }

    func testDurationsReadAsClockTimes() {
        XCTAssertEqual(TrainingProgress.duration(75), "1:15")
        XCTAssertEqual(TrainingProgress.duration(3725), "1:02:05")
    }
}
