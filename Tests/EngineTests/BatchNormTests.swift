// BatchNorm: running-statistic conventions, frozen semantics, the fused BN+ReLU ops on channel
// slices as DenseNet uses them, and thread-count independence.
import XCTest
@testable import Engine

final class BatchNormTests: XCTestCase {
    /// One channel holding 1, 2, 3, 6: batch mean 3, biased variance 14/4 = 3.5, unbiased 14/3.
    private let fourValues = Tensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 6])

    func testKerasRunningStatisticsKeep99PercentAndUseBiasedVariance() {
        let bn = BatchNorm(name: "bn", features: 1, convention: .kerasDenseNet)
        let y = bn.forward(fourValues, context: ForwardContext(training: true))
        XCTAssertEqual(bn.runningMean.value.data[0], 0.99 * 0 + 0.01 * 3, accuracy: 1e-7)
        XCTAssertEqual(bn.runningVariance.value.data[0], 0.99 * 1 + 0.01 * 3.5, accuracy: 1e-6)
        // Normalised with the batch's own statistics.
        let expected: [Float] = [1, 2, 3, 6].map { ($0 - 3) / (3.5 + 1.001e-5).squareRoot() }
        for (a, b) in zip(y.array, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testPyTorchRunningStatisticsKeep90PercentAndUseUnbiasedVariance() {
        let bn = BatchNorm(name: "bn", features: 1, convention: .pytorch)
        _ = bn.forward(fourValues, context: ForwardContext(training: true))
        XCTAssertEqual(bn.runningMean.value.data[0], 0.1 * 3, accuracy: 1e-7)
        XCTAssertEqual(bn.runningVariance.value.data[0], 0.9 * 1 + 0.1 * 14 / 3, accuracy: 1e-6)
    }

    func testInferenceUsesRunningStatisticsAndLeavesThem() {
        let bn = BatchNorm(name: "bn", features: 1, convention: .keras)
        bn.runningMean.value.data[0] = 2
        bn.runningVariance.value.data[0] = 4
        let y = bn.forward(fourValues, context: .inference)
        XCTAssertEqual(y.array, [1, 2, 3, 6].map { ($0 - 2) / (4 + 1e-3 as Float).squareRoot() })
        XCTAssertEqual(bn.runningMean.value.data[0], 2)
        XCTAssertEqual(bn.runningVariance.value.data[0], 4)
    }

    func testFrozenLayerRunsInInferenceModeWhileTraining() {
        let bn = BatchNorm(name: "bn", features: 1)
        bn.isFrozen = true
        XCTAssertFalse(bn.gamma.trainable)
        let y = bn.forward(fourValues, context: ForwardContext(training: true))
        XCTAssertEqual(bn.runningMean.value.data[0], 0)
        XCTAssertEqual(bn.runningVariance.value.data[0], 1)
        XCTAssertEqual(y.data[3], 6 / (1 + 1.001e-5 as Float).squareRoot())
        let dx = bn.backward(Tensor(shape: [2, 1, 1, 2], values: [1, 1, 1, 1]))
        XCTAssertEqual(bn.gamma.grad.array, [0], "a frozen layer computes no parameter gradient")
        XCTAssertEqual(dx.data[0], 1 / (1 + 1.001e-5 as Float).squareRoot())
    }

    /// DenseNet normalises the first channels of a block buffer and adds the gradient into that slice:
    /// the fused ops on the slice must match BatchNorm then ReLU on a copy of those channels.
    func testFusedBatchNormReLUOnAChannelSliceMatchesTheLayers() {
        let block = randomTensor([3, 7, 5, 3], seed: 40)
        let channels = 0..<5
        let copy = Tensor(zeros: [3, 5, 5, 3])
        for n in 0..<3 { (copy.data + n * 75).update(from: block.data + n * 105, count: 75) }
        let bn = BatchNorm(name: "bn", features: 5), relu = ReLU(name: "relu")
        for c in 0..<5 { bn.gamma.value.data[c] = 0.5 + 0.2 * Float(c); bn.beta.value.data[c] = 0.1 * Float(c) - 0.2 }
        let expected = relu.forward(bn.forward(copy, context: ForwardContext(training: true)), context: .inference)
        let dy = randomTensor([3, 5, 5, 3], seed: 41)
        let expectedDx = bn.backward(relu.backward(dy))

        let x = block.images(channels: channels)
        let mean = Tensor(zeros: [5]), variance = Tensor(zeros: [5]), scale = Tensor(zeros: [5]), shift = Tensor(zeros: [5])
        batchNormStatistics(x, mean: mean.data, variance: variance.data)
        batchNormScaleShift(channels: 5, mean: mean.data, variance: variance.data, gamma: bn.gamma.value.data,
                            beta: bn.beta.value.data, epsilon: bn.convention.epsilon, scale: scale.data, shift: shift.data)
        let y = Tensor(zeros: [3, 5, 5, 3])
        batchNormApply(x, scale: scale.data, shift: shift.data, relu: true, into: y.images())
        XCTAssertEqual(y.array, expected.array)

        let blockGradient = Tensor(zeros: block.shape)
        blockGradient.fill(1)  // what later layers already added
        let dgamma = Tensor(zeros: [5]), dbeta = Tensor(zeros: [5])
        batchNormBackward(dy: dy.images(), x: x, mean: mean.data, variance: variance.data, gamma: bn.gamma.value.data,
                          beta: bn.beta.value.data, epsilon: bn.convention.epsilon, relu: true, batchStatistics: true,
                          dx: blockGradient.images(channels: channels), dgamma: dgamma.data, dbeta: dbeta.data)
        for n in 0..<3 {
            for i in 0..<75 { XCTAssertEqual(blockGradient.data[n * 105 + i], 1 + expectedDx.data[n * 75 + i], accuracy: 1e-5) }
            for i in 75..<105 { XCTAssertEqual(blockGradient.data[n * 105 + i], 1, "channels outside the slice untouched") }
        }
        XCTAssertEqual(dgamma.array, bn.gamma.grad.array)
        XCTAssertEqual(dbeta.array, bn.beta.grad.array)

        // Without accumulating, dx is written whole and its old contents (NaN here) never read.
        let overwritten = Tensor(zeros: block.shape)
        overwritten.fill(.nan)
        batchNormBackward(dy: dy.images(), x: x, mean: mean.data, variance: variance.data, gamma: bn.gamma.value.data,
                          beta: bn.beta.value.data, epsilon: bn.convention.epsilon, relu: true, batchStatistics: true,
                          dx: overwritten.images(channels: channels), accumulate: false, dgamma: nil, dbeta: nil)
        for n in 0..<3 {
            for i in 0..<75 { XCTAssertEqual(overwritten.data[n * 105 + i], expectedDx.data[n * 75 + i], accuracy: 1e-5) }
            for i in 75..<105 { XCTAssertTrue(overwritten.data[n * 105 + i].isNaN, "channels outside the slice untouched") }
        }

        // The layer's view methods do the same bookkeeping: scale and shift, then the backward.
        let viewed = BatchNorm(name: "viewed", features: 5)
        viewed.gamma.value.copy(from: bn.gamma.value)
        viewed.beta.value.copy(from: bn.beta.value)
        viewed.normalize(x, context: ForwardContext(training: true))
        XCTAssertEqual(viewed.scale.array, scale.array)
        XCTAssertEqual(viewed.shift.array, shift.array)
        XCTAssertEqual(viewed.runningMean.value.array, bn.runningMean.value.array)
        let viewedGradient = Tensor(zeros: block.shape)
        viewedGradient.fill(1)
        viewed.backward(dy: dy.images(), x: x, relu: true, dx: viewedGradient.images(channels: channels))
        XCTAssertEqual(viewedGradient.array, blockGradient.array)
        XCTAssertEqual(viewed.gamma.grad.array, dgamma.array)
    }

    func testOneAndTwoThreadsGiveIdenticalBits() {
        // Channel planes (pixels in the vector lanes) and a feature batch (features in the lanes).
        for shape in [[16, 40, 17, 17], [64, 1003]] {
            let x = randomTensor(shape, seed: 42), dy = randomTensor(shape, seed: 43)
            func run(threads: Int) -> [Float] {
                EngineThreads.set(threads)
                defer { EngineThreads.set(nil) }
                let bn = BatchNorm(name: "bn", features: shape[1])
                let y = bn.forward(x, context: ForwardContext(training: true))
                let dx = bn.backward(dy)
                return y.array + dx.array + bn.gamma.grad.array + bn.beta.grad.array + bn.runningVariance.value.array
            }
            let one = run(threads: 1), two = run(threads: 2)
            XCTAssertTrue(one.elementsEqual(two) { $0.bitPattern == $1.bitPattern }, "\(shape)")
        }
    }
}
