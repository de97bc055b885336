// Forward behaviour of the simpler layers: pool values, dropout masks, initialisers.
import XCTest
@testable import Engine

final class LayerTests: XCTestCase {
    func testStemMaxPoolIgnoresPadding() {
        // 3x3/2 pad 1 on a 4x4 of negatives: padded positions must never win.
        let x = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map { -Float($0) - 1 })
        let y = MaxPool2D(name: "pool", window: PoolWindow(kernel: 3, stride: 2, padding: Padding2D(1)))
            .forward(x, context: .inference)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.array, [-1, -2, -5, -6])
    }

    func testAveragePoolTakesWindowMeans() {
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let y = AveragePool2D(name: "pool", window: PoolWindow(kernel: 2, stride: 2)).forward(x, context: .inference)
        XCTAssertEqual(y.array, [3.5, 5.5])
    }

    func testDropoutMasksDependOnTheStepOnly() {
        let dropout = Dropout(name: "drop", rate: 0.25, random: CounterRandom(seed: 70))
        let x = Tensor(zeros: [100, 100])
        x.fill(1)
        let first = dropout.forward(x, context: ForwardContext(training: true, step: 3)).array
        XCTAssertEqual(dropout.forward(x, context: ForwardContext(training: true, step: 3)).array, first)
        XCTAssertNotEqual(dropout.forward(x, context: ForwardContext(training: true, step: 4)).array, first)
        XCTAssertEqual(Set(first), [0, 1 / 0.75])
        let dropped = first.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 10_000, 0.25, accuracy: 0.02)
        XCTAssertTrue(dropout.forward(x, context: .inference) === x, "identity at inference")
    }

    func testInitialisersDrawTheirDistributions() {
        let glorot = Dense(name: "g", inputs: 300, outputs: 100, random: CounterRandom(seed: 71)).weight.value.array
        let limit = (6 / Float(400)).squareRoot()
        XCTAssertLessThanOrEqual(glorot.map(abs).max()!, limit)
        XCTAssertGreaterThan(glorot.map(abs).max()!, 0.99 * limit)
        let he = Dense(name: "h", inputs: 200, outputs: 100, initializer: .heNormalTruncated,
                       random: CounterRandom(seed: 72)).weight.value.array
        let variance = he.reduce(0) { $0 + Double($1 * $1) } / Double(he.count)
        XCTAssertEqual(variance, 2.0 / 200, accuracy: 0.05 * 2.0 / 200)
        let sigma = (2 / Float(200)).squareRoot() / 0.879_625_66
        XCTAssertLessThanOrEqual(he.map(abs).max()!, 2 * sigma, "truncated at two standard deviations")
        XCTAssertEqual(Dense(name: "h", inputs: 200, outputs: 100, initializer: .heNormalTruncated,
                             random: CounterRandom(seed: 72)).weight.value.array, he, "same seed, same weights")
    }
}
