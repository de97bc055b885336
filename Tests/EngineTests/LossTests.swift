// Softmax cross-entropy: values against hand computation, stability, thread-count independence.
import XCTest
@testable import Engine

final class LossTests: XCTestCase {
    /// Logits (1, 2, 3): log-sum-exp = 3 + log(1 + e⁻¹ + e⁻²) = 3.40760596.
    private let logits = Tensor(shape: [1, 3], values: [1, 2, 3])

    func testLossAndGradientOfOneSample() {
        let result = softmaxCrossEntropy(logits: logits, labels: [2])
        XCTAssertEqual(result.loss, 0.40760596, accuracy: 1e-6)
        // softmax − onehot
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096 - 1]
        for (a, b) in zip(result.dlogits.array, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testLabelSmoothingSpreadsTheTarget() {
        // s = 0.3 over 3 classes: targets (0.8, 0.1, 0.1); loss = −Σ target·log p = 2.10760596.
        let result = softmaxCrossEntropy(logits: logits, labels: [0], labelSmoothing: 0.3)
        XCTAssertEqual(result.loss, 2.10760596, accuracy: 1e-6)
        XCTAssertEqual(result.dlogits.data[0], 0.09003057 - 0.8, accuracy: 1e-6)
        XCTAssertEqual(result.dlogits.data[2], 0.66524096 - 0.1, accuracy: 1e-6)
    }

    func testHugeLogitsStayFinite() {
        let result = softmaxCrossEntropy(logits: Tensor(shape: [2, 2], values: [1000, 0, -1000, 1000]), labels: [1, 1])
        XCTAssertEqual(result.loss, 500)  // (1000 + 0) / 2
        XCTAssertEqual(result.dlogits.array, [0.5, -0.5, 0, 0])
    }

    func testOneAndTwoThreadsGiveIdenticalBits() {
        let big = randomTensor([257, 10], seed: 50)
        for i in 0..<big.count { big.data[i] *= 8 }
        let labels = (0..<257).map { ($0 * 7) % 10 }
        func run(threads: Int) -> (Float, [Float]) {
            EngineThreads.set(threads)
            defer { EngineThreads.set(nil) }
            let r = softmaxCrossEntropy(logits: big, labels: labels, labelSmoothing: 0.1)
            return (r.loss, r.dlogits.array)
        }
        let one = run(threads: 1), two = run(threads: 2)
        XCTAssertEqual(one.0.bitPattern, two.0.bitPattern)
        XCTAssertEqual(one.1, two.1)
    }
}
