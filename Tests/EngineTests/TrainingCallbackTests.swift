// The study's callbacks driven by sequences of metric values, checked against what Keras does.
import XCTest
@testable import Engine

final class TrainingCallbackTests: XCTestCase {
    func testReduceLROnPlateauAsTheStudyConfiguredIt() {
        var plateau = ReduceLROnPlateau(factor: 0.1, patience: 3, minLearningRate: 1e-5)
        let losses = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
        var lr = 1e-3
        var rates: [Double] = []
        for loss in losses {
            lr = plateau.observe(loss, learningRate: lr)
            rates.append(lr)
        }
        // Three epochs without improvement after epoch 1 and after epoch 5; then the floor holds.
        let expected = [1e-3, 1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4, 1e-5, 1e-5, 1e-5, 1e-5]
        for (got, want) in zip(rates, expected) { XCTAssertEqual(got, want, accuracy: want * 1e-9) }
    }

    func testReduceLROnPlateauIgnoresGainsBelowMinDelta() {
        var plateau = ReduceLROnPlateau(factor: 0.5, patience: 2)  // Keras default min delta 1e-4
        XCTAssertEqual(plateau.observe(0.5, learningRate: 1), 1)
        XCTAssertEqual(plateau.observe(0.49995, learningRate: 1), 1)
        XCTAssertEqual(plateau.observe(0.49991, learningRate: 1), 0.5)
    }

    func testReduceLROnPlateauCooldownPausesCounting() {
        var plateau = ReduceLROnPlateau(monitor: MetricMonitor(metric: "val_accuracy"), factor: 0.5, patience: 1,
                                        cooldown: 2)
        var lr = 1.0
        var rates: [Double] = []
        for accuracy in [0.5, 0.4, 0.4, 0.4, 0.4, 0.6] {
            lr = plateau.observe(accuracy, learningRate: lr)
            rates.append(lr)
        }
        XCTAssertEqual(plateau.monitor.mode, .max)
        // Keras counts down the cooldown before looking at the value: epoch 2 is the only one it skips.
        XCTAssertEqual(rates, [1, 0.5, 0.5, 0.25, 0.25, 0.25])
    }

    func testEarlyStoppingStopsAfterPatienceAndRemembersTheBestEpoch() {
        var stopping = EarlyStopping(patience: 2, restoreBestWeights: true)
        let decisions = [0.5, 0.4, 0.45, 0.41].enumerated().map { stopping.observe($1, epoch: $0) }
        XCTAssertEqual(decisions, [.improved, .improved, .wait, .stop])
        XCTAssertEqual(stopping.bestEpoch, 1)
    }

    func testEarlyStoppingWithZeroPatienceStopsAtFirstSetback() {
        var stopping = EarlyStopping(monitor: MetricMonitor(metric: "val_accuracy"), patience: 0)
        XCTAssertEqual(stopping.observe(0.7, epoch: 0), .improved)
        XCTAssertEqual(stopping.observe(0.8, epoch: 1), .improved)
        XCTAssertEqual(stopping.observe(0.8, epoch: 2), .stop)
    }

    func testBestModelSelectionFollowsTheMonitoredMetric() {
        var best = BestModelSelection(monitor: MetricMonitor(metric: "val_accuracy"))
        let kept = [0.6, 0.7, 0.65, 0.71, 0.71].enumerated().map { best.observe($1, epoch: $0) }
        XCTAssertEqual(kept, [true, true, false, true, false])
        XCTAssertEqual(best.bestEpoch, 3)
        XCTAssertEqual(best.monitor.best, 0.71)
    }

    /// Accuracies on a few hundred images tie often; Keras keeps the first of tied epochs, the
    /// tie-breaker the one of them with the lowest validation loss.
    func testEpochsTyingOnAccuracyAreToldApartByLoss() {
        let accuracies = [0.90, 0.93, 0.92, 0.93, 0.93], losses = [0.40, 0.30, 0.25, 0.22, 0.26]
        var first = BestModelSelection(monitor: MetricMonitor(metric: "val_accuracy"))
        var byLoss = BestModelSelection(monitor: MetricMonitor(metric: "val_accuracy"),
                                        tieBreaker: MetricMonitor(metric: "val_loss"))
        for epoch in 0..<5 {
            _ = first.observe(accuracies[epoch], epoch: epoch)
            _ = byLoss.observe(accuracies[epoch], tie: losses[epoch], epoch: epoch)
        }
        XCTAssertEqual(first.bestEpoch, 1)
        XCTAssertEqual(byLoss.bestEpoch, 3)
        // A strictly better accuracy wins whatever its loss, and the tie-breaker starts over from it.
        XCTAssertTrue(byLoss.observe(0.94, tie: 0.50, epoch: 5))
        XCTAssertTrue(byLoss.observe(0.94, tie: 0.45, epoch: 6))
        XCTAssertFalse(byLoss.observe(0.94, tie: 0.46, epoch: 7))
        XCTAssertEqual(byLoss.bestEpoch, 6)
    }

    func testCallbackStateRoundTripsThroughJSON() throws {
        var plateau = ReduceLROnPlateau(factor: 0.1, patience: 3, minLearningRate: 1e-5)
        _ = plateau.observe(0.4, learningRate: 1e-3)
        _ = plateau.observe(0.5, learningRate: 1e-3)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let copy = try decoder.decode(ReduceLROnPlateau.self, from: encoder.encode(plateau))
        XCTAssertEqual(copy, plateau)
        XCTAssertEqual(try decoder.decode(EarlyStopping.self, from: encoder.encode(EarlyStopping())), EarlyStopping())
    }
}
