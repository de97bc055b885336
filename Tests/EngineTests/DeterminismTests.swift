// 1 and 2 threads must give bit-identical results: GEMM, every convolution pass, and a few training
// steps of a small conv stack.
import XCTest
@testable import Engine

final class DeterminismTests: XCTestCase {
    override func tearDown() {
        EngineThreads.set(nil)
        super.tearDown()
    }

    /// `body` run once with 1 thread and once with 2, returning the bit patterns of its results.
    func bitsWithOneAndTwoThreads(_ body: () -> [Float]) -> ([UInt32], [UInt32]) {
        EngineThreads.set(1)
        let one = body().map(\.bitPattern)
        EngineThreads.set(2)
        let two = body().map(\.bitPattern)
        return (one, two)
    }

    func testSGEMMIsBitIdenticalAcrossThreadCounts() {
        let (m, n, k) = (131, 250, 301)
        let a = GEMMTests.randomValues(m * k, seed: 11), b = GEMMTests.randomValues(k * n, seed: 12)
        let (one, two) = bitsWithOneAndTwoThreads {
            var c = [Float](repeating: 0, count: m * n)
            sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                  beta: 0, c: &c, ldc: n)
            return c
        }
        XCTAssertEqual(one, two)
    }

    func testConvolutionPassesAreBitIdenticalAcrossThreadCounts() {
        let g = ConvGeometry(inChannels: 6, outChannels: 10, inputHeight: 15, inputWidth: 13, kernelHeight: 3,
                             kernelWidth: 3, padding: .symmetric(1))
        let batch = 5
        let x = Tensor(shape: [batch, 6, 15, 13], values: GEMMTests.randomValues(batch * 6 * 195, seed: 21))
        let w = GEMMTests.randomValues(g.weightCount, seed: 22)
        let scale = GEMMTests.randomValues(6, seed: 23), shift = GEMMTests.randomValues(6, seed: 24)
        let dy = Tensor(shape: [batch, 10, 15, 13], values: GEMMTests.randomValues(batch * 10 * 195, seed: 25))
        let (one, two) = bitsWithOneAndTwoThreads {
            scale.withUnsafeBufferPointer { s in
                shift.withUnsafeBufferPointer { b in
                    let transform = ConvInputTransform(scale: s.baseAddress!, shift: b.baseAddress!)
                    let y = Tensor(zeros: dy.shape), dx = Tensor(zeros: x.shape)
                    var dw = [Float](repeating: 0, count: g.weightCount)
                    var db = [Float](repeating: 0, count: 10)
                    var moments = [Double](repeating: 0, count: 20)
                    convolutionForward(g, input: x.images(), weights: w, bias: nil, inputTransform: transform,
                                       output: y.images(), outputMoments: &moments)
                    convolutionBackwardData(g, outputGradient: dy.images(), weights: w, inputGradient: dx.images())
                    convolutionBackwardWeights(g, input: x.images(), inputTransform: transform,
                                               outputGradient: dy.images(), weightGradient: &dw, biasGradient: &db)
                    return y.array + dx.array + dw + db + moments.map { Float($0) }
                }
            }
        }
        XCTAssertEqual(one, two)
    }

    /// Three SGD steps of conv → conv on a squared-error loss, from the same seed, end in the same bits.
    func testTrainingStepsAreBitIdenticalAcrossThreadCounts() {
        let (one, two) = bitsWithOneAndTwoThreads {
            let random = CounterRandom(seed: 42)
            let first = Conv2D(name: "c1", inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: .same,
                               bias: true, random: random.stream(1))
            let second = Conv2D(name: "c2", inChannels: 8, outChannels: 4, kernelSize: 1, padding: .valid,
                                initializer: .heNormalFanIn, random: random.stream(2))
            let x = Tensor(shape: [4, 3, 9, 9], values: GEMMTests.randomValues(4 * 3 * 81, seed: 31))
            for step in 0..<3 {
                let context = ForwardContext(training: true, step: UInt64(step))
                let y = second.forward(first.forward(x, context: context), context: context)
                _ = first.backward(second.backward(y))  // d(½‖y‖²)/dy = y
                for p in first.parameters + second.parameters {
                    for i in 0..<p.value.count { p.value.data[i] -= 0.01 * p.grad.data[i] }
                    p.grad.fill(0)
                }
            }
            return (first.parameters + second.parameters).flatMap(\.value.array)
        }
        XCTAssertEqual(one, two)
    }
}
