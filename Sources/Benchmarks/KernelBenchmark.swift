// The engine kernels `tlab bench kernels` times: SGEMM at four sizes, a 3x3 convolution forward and
// forward+backward, and a DenseNet-BC layer; `benchmarks/run.sh` runs them beside numpy and PyTorch.
import Engine
import Foundation

/// One benchmark case: how to set it up, and its flops and images per call.
public struct KernelBenchmark {
    public let name: String
    package let flops: Double
    package let images: Int?
    /// Allocates the case's data and returns the call to time.
    package let prepare: () -> () -> Void

    /// One case's timing: seconds per call, GFLOP/s, images/s where images are counted.
    public struct Result: Codable {
        public let name: String
        package let threads: Int
        /// The kernel path that ran and why (`EngineSettings.kernels()`).
        package let kernels: String
        package let runs: Int
        let medianSeconds: Double
        let minSeconds: Double
        let maxSeconds: Double
        let gflops: Double
        package let imagesPerSecond: Double?
        /// Flops per second of process CPU time (all threads): on a shared machine this tracks kernel
        /// efficiency when wall-clock figures mostly measure the other tenants.
        let gflopsPerCPUSecond: Double

        public var line: String {
            let ips = imagesPerSecond.map { String(format: "%10.0f", $0) } ?? String(repeating: " ", count: 10)
            return name.padding(toLength: 38, withPad: " ", startingAt: 0)
                + String(format: " %8.1f ", gflops) + ips
                + String(format: " %10.2f  (%.2f..%.2f) %9.1f", medianSeconds * 1e3, minSeconds * 1e3, maxSeconds * 1e3,
                         gflopsPerCPUSecond)
        }
    }

    public func measure(runs: Int) -> Result {
        let body = prepare()
        // The step neither throws nor needs preparing per loop: every loop reuses the prepared call.
        let timing = try! StepTiming(runs: runs, minimumSeconds: 0.3, minimumSteps: 1) { steps in
            { for _ in 0..<steps { body() } }
        }
        // The kernels just ran, so the selection resolved: `current()` cannot throw here.
        return Result(name: name, threads: EngineThreads.count, kernels: try! KernelSelection.current().description,
                      runs: runs, medianSeconds: timing.median, minSeconds: timing.min, maxSeconds: timing.max,
                      gflops: flops / timing.median / 1e9,
                      imagesPerSecond: images.map { Double($0) / timing.median },
                      gflopsPerCPUSecond: flops / timing.medianCPU / 1e9)
    }

    public static let all: [KernelBenchmark] = [256, 512, 1024, 2048].map(sgemm) + [
        conv3x3(training: false), conv3x3(training: true), denseNetLayer,
    ]

    static func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
        let t = Tensor(zeros: shape), random = CounterRandom(seed: seed)
        for i in 0..<t.count { t.data[i] = random.uniform(at: UInt64(i)) * 2 - 1 }
        return t
    }

    /// C = A·B, all n×n.
    package static func sgemm(_ n: Int) -> KernelBenchmark {
        KernelBenchmark(name: "sgemm-\(n)", flops: 2 * pow(Double(n), 3), images: nil) {
            let a = randomTensor([n, n], seed: 1), b = randomTensor([n, n], seed: 2), c = Tensor(zeros: [n, n])
            return {
                Engine.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a.data, lda: n, b: b.data,
                             ldb: n, beta: 0, c: c.data, ldc: n)
            }
        }
    }

    /// Conv 3x3 64→64, pad 1, 32x32, batch 64, no bias; training adds backward-data and backward-weights.
    static func conv3x3(training: Bool) -> KernelBenchmark {
        let g = ConvGeometry(inChannels: 64, outChannels: 64, inputHeight: 32, inputWidth: 32, kernelHeight: 3,
                             kernelWidth: 3, padding: .symmetric(1))
        let batch = 64
        return KernelBenchmark(name: training ? "conv3x3-64-32x32-b64-fwd+bwd" : "conv3x3-64-32x32-b64-fwd",
                               flops: Double(2 * batch * g.macsPerImage * (training ? 3 : 1)), images: batch) {
            let x = randomTensor([batch, 64, 32, 32], seed: 3), w = randomTensor([64, 64, 3, 3], seed: 4)
            let y = Tensor(zeros: x.shape), dy = randomTensor(x.shape, seed: 5)
            let dx = Tensor(zeros: x.shape), dw = Tensor(zeros: w.shape)
            return {
                convolutionForward(g, input: x.images(), weights: w.data, bias: nil, output: y.images())
                if training {
                    convolutionBackwardData(g, outputGradient: dy.images(), weights: w.data, inputGradient: dx.images())
                    convolutionBackwardWeights(g, input: x.images(), outputGradient: dy.images(), weightGradient: dw.data,
                                               biasGradient: nil)
                }
            }
        }
    }

    /// A DenseNet-BC layer in the middle of DenseNet-BC-40's first block (60 channels in, growth 12),
    /// run by the engine's own dense-layer code.
    static let denseNetLayer: KernelBenchmark = {
        let shape = (batch: 64, inChannels: 60, bottleneck: 48, growth: 12, size: 28)
        func makeLayer(batch: Int) -> IsolatedDenseLayer {
            // The shape is fixed above and valid; a failure here is a bug in this file.
            try! IsolatedDenseLayer(batch: batch, inputChannels: shape.inChannels, growthRate: shape.growth,
                                    bottleneckChannels: shape.bottleneck, size: shape.size)
        }
        return KernelBenchmark(name: "densenet-bc-layer-60+12-28x28-b64-fwd+bwd", flops: makeLayer(batch: 1).flops
                                   * Double(shape.batch), images: shape.batch) {
            makeLayer(batch: shape.batch).trainingStep
        }
    }()
}
