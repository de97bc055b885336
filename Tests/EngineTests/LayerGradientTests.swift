// Every layer's backward against central finite differences, on odd shapes.
import XCTest
@testable import Engine

final class LayerGradientTests: XCTestCase {
    func testDense() {
        let dense = Dense(name: "fc", inputs: 7, outputs: 5, random: CounterRandom(seed: 1))
        dense.bias!.value.copy(from: randomTensor([5], seed: 2))
        assertGradientsMatch(dense, input: randomTensor([3, 7], seed: 3))
    }

    func testDenseWithoutBiasAndHeNormal() {
        let dense = Dense(name: "fc", inputs: 9, outputs: 1, bias: false, initializer: .heNormalTruncated,
                          random: CounterRandom(seed: 4))
        assertGradientsMatch(dense, input: randomTensor([1, 9], seed: 5))
    }

    func testReLU() {
        // Kept at least 0.05 away from the kink, so no finite-difference step crosses it.
        let x = randomTensor([3, 2, 5, 3], seed: 6)
        for i in 0..<x.count { x.data[i] += x.data[i] < 0 ? -0.05 : 0.05 }
        assertGradientsMatch(ReLU(name: "relu"), input: x)
    }

    func testBatchNormTrainingThroughBatchStatistics() {
        let bn = BatchNorm(name: "bn", features: 5)
        randomizeAffine(bn)
        assertGradientsMatch(bn, input: randomTensor([3, 5, 3, 7], seed: 7), epsilon: 1e-2, tolerance: 5e-3)
    }

    func testBatchNormTrainingOnFeaturesAndSingleImage() {
        let features = BatchNorm(name: "bn1d", features: 6, convention: .keras)
        randomizeAffine(features)
        assertGradientsMatch(features, input: randomTensor([3, 6], seed: 8), epsilon: 1e-2, tolerance: 5e-3)
        let single = BatchNorm(name: "bn1", features: 3, convention: .pytorch)
        randomizeAffine(single)
        assertGradientsMatch(single, input: randomTensor([1, 3, 5, 3], seed: 9), epsilon: 1e-2, tolerance: 5e-3)
    }

    func testBatchNormInference() {
        let bn = BatchNorm(name: "bn", features: 4)
        randomizeAffine(bn)
        for c in 0..<4 {
            bn.runningMean.value.data[c] = 0.1 * Float(c)
            bn.runningVariance.value.data[c] = 0.5 + Float(c)
        }
        assertGradientsMatch(bn, input: randomTensor([3, 4, 3, 5], seed: 10), context: .inference)
    }

    func testMaxPoolStemWindowAndAsymmetricPadding() {
        let stem = MaxPool2D(name: "pool", window: PoolWindow(kernel: 3, stride: 2, padding: Padding2D(1)))
        XCTAssertEqual(stem.outputShape(for: [3, 2, 7, 9]), [3, 2, 4, 5])
        assertGradientsMatch(stem, input: distinctTensor([3, 2, 7, 9], seed: 11))
        let lopsided = MaxPool2D(name: "pool", window: PoolWindow(
            kernel: 2, stride: 2, padding: Padding2D(top: 1, bottom: 0, left: 0, right: 1)))
        XCTAssertEqual(lopsided.outputShape(for: [1, 3, 6, 5]), [1, 3, 3, 3])
        assertGradientsMatch(lopsided, input: distinctTensor([1, 3, 6, 5], seed: 12))
    }

    func testAveragePoolDropsTheOddEdge() {
        let pool = AveragePool2D(name: "pool", window: PoolWindow(kernel: 2, stride: 2))
        XCTAssertEqual(pool.outputShape(for: [3, 2, 7, 9]), [3, 2, 3, 4])
        assertGradientsMatch(pool, input: randomTensor([3, 2, 7, 9], seed: 13))
    }

    func testGlobalPools() {
        let x = distinctTensor([3, 4, 5, 3], seed: 14)
        assertGradientsMatch(GlobalPool(name: "gap", reduction: .average), input: x)
        assertGradientsMatch(GlobalPool(name: "gmp", reduction: .max), input: x)
    }

    func testZeroPaddingPerSide() {
        let pad = ZeroPadding2D(name: "pad", padding: Padding2D(top: 1, bottom: 2, left: 0, right: 3))
        XCTAssertEqual(pad.outputShape(for: [1, 2, 5, 3]), [1, 2, 8, 6])
        assertGradientsMatch(pad, input: randomTensor([1, 2, 5, 3], seed: 15))
    }

    func testDropoutWithTheStepsFixedMask() {
        let dropout = Dropout(name: "drop", rate: 0.3, random: CounterRandom(seed: 16))
        assertGradientsMatch(dropout, input: randomTensor([3, 11], seed: 17),
                             context: ForwardContext(training: true, step: 5))
    }

    func testResizeBackwardSpreadsWithTheForwardWeights() {
        assertGradientsMatch(Resize(name: "resize", height: 7, width: 4), input: randomTensor([1, 2, 3, 5], seed: 18))
    }

    func testSequentialHead() {
        let head = Sequential(name: "head", [
            Flatten(name: "flatten"),
            BatchNorm(name: "bn", features: 12, convention: .keras),
            Dense(name: "fc1", inputs: 12, outputs: 5, initializer: .heNormalTruncated, random: CounterRandom(seed: 19)),
            Dense(name: "fc2", inputs: 5, outputs: 3, random: CounterRandom(seed: 20)),
        ])
        XCTAssertEqual(head.outputShape(for: [3, 3, 2, 2]), [3, 3])
        assertGradientsMatch(head, input: randomTensor([3, 3, 2, 2], seed: 21), epsilon: 1e-2, tolerance: 5e-3)
    }

    func testSoftmaxCrossEntropyWithLabelSmoothing() {
        let logits = randomTensor([3, 5], seed: 22)
        let labels = [4, 0, 2]
        let analytic = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1).dlogits
        for i in 0..<logits.count {
            let saved = logits.data[i]
            logits.data[i] = saved + 1e-3
            let plus = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1).loss
            logits.data[i] = saved - 1e-3
            let minus = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1).loss
            logits.data[i] = saved
            XCTAssertEqual(analytic.data[i], (plus - minus) / 2e-3, accuracy: 1e-3, "dlogits[\(i)]")
        }
    }

    private func randomizeAffine(_ bn: BatchNorm) {
        let n = bn.gamma.value.count
        let g = randomTensor([n], seed: 30), b = randomTensor([n], seed: 31)
        for c in 0..<n {
            bn.gamma.value.data[c] = 1 + 0.5 * g.data[c]
            bn.beta.value.data[c] = b.data[c]
        }
    }
}
