// The models `tlab bench models` times: a training step (forward, cross-entropy, backward, Adam) and
// an inference forward of DenseNet-BC-40-12 and DenseNet-121 at two input sizes.
import Engine
import Foundation

/// One model at one input size and batch, measured training (`-train`) then inference (`-infer`).
public struct ModelBenchmark {
    public let name: String
    package let config: ModelConfig
    package let batch: Int

    package static let classes = 10

    /// DenseNet-BC-40-12 on Fashion-MNIST-sized inputs, DenseNet-121 (torchvision's
    /// `densenet121(num_classes=10)`: global average pool → linear) at CIFAR size and at the study's 155.
    public static func all() throws -> [ModelBenchmark] {
        let bc = ModelConfig(inputShape: [1, 28, 28], backbone: try .bc(depth: 40, growthRate: 12),
                             head: .linear(classes: classes))
        func densenet121(_ size: Int) -> ModelConfig {
            ModelConfig(inputShape: [3, size, size], backbone: .densenet121, head: .linear(classes: classes))
        }
        return [
            ModelBenchmark(name: "densenet-bc-40-12-28x28-b64", config: bc, batch: 64),
            ModelBenchmark(name: "densenet-121-32x32-b32", config: densenet121(32), batch: 32),
            ModelBenchmark(name: "densenet-121-155x155-b8", config: densenet121(155), batch: 8),
        ]
    }

    public static var names: [String] { (try? all().map(\.name)) ?? [] }

    /// One case in one mode: seconds per step, images/s, GFLOP/s, peak memory.
    public struct Result: Codable {
        public let name: String
        package let threads: Int
        /// The kernel path that ran and why (`EngineSettings.kernels()`).
        package let kernels: String
        package let runs: Int
        package let batch: Int
        /// Seconds per step (one batch).
        let medianSeconds: Double
        let minSeconds: Double
        let maxSeconds: Double
        package let imagesPerSecond: Double
        /// 2·multiply-adds of the convolutions and dense layers, ×3 for a training step (forward,
        /// backward-data, backward-weights), per median second.
        let gflops: Double
        /// The same flops per median CPU-second of the process.
        let gflopsPerCPUSecond: Double
        package let trainableParameters: Int
        /// The process's peak RSS when the case finished.
        let peakResidentMiB: Double

        public var line: String {
            name.padding(toLength: 36, withPad: " ", startingAt: 0)
                + String(format: " %8.1f  %8.1f  %10.1f  (%.1f..%.1f)  %10.0f", imagesPerSecond, gflops,
                         medianSeconds * 1e3, minSeconds * 1e3, maxSeconds * 1e3, peakResidentMiB)
        }
    }

    /// What a case times: training steps, inference forwards, or both (training first).
    public enum Mode: String, CaseIterable, Sendable {
        case train, infer, both
    }

    /// Builds the model, then times training steps through `Trainer` and inference forwards, as
    /// `mode` asks.
    ///
    /// `shards` above 1 times sharded training steps, every shard computed in this process (the cost of
    /// splitting a batch, without any transport); the case's name then ends in `-shards<n>`.
    public func measure(runs: Int, mode: Mode = .both, shards: Int = 1) throws -> [Result] {
        let model = try Model(config, seed: 1)
        let optimizer = Optimizer.adam(parameters: model.parameters)
        let forwardFlops = 2 * Double(Self.forwardMultiplyAdds(model.architecture) * batch)
        func result(_ mode: String, _ timing: StepTiming, flops: Double) -> Result {
            // The kernels just ran, so the selection resolved: `current()` cannot throw here.
            Result(name: "\(name)-\(mode)" + (shards > 1 && mode == "train" ? "-shards\(shards)" : ""), threads: EngineThreads.count,
                   kernels: try! KernelSelection.current().description, runs: runs, batch: batch,
                   medianSeconds: timing.median, minSeconds: timing.min, maxSeconds: timing.max,
                   imagesPerSecond: Double(batch) / timing.median, gflops: flops / timing.median / 1e9,
                   gflopsPerCPUSecond: flops / timing.medianCPU / 1e9,
                   trainableParameters: model.trainableParameters.reduce(0) { $0 + $1.value.count },
                   peakResidentMiB: peakResidentMiB())
        }

        var results: [Result] = []
        if mode != .infer {
            let training = try StepTiming(runs: runs, minimumSeconds: 0.5, minimumSteps: 3) { steps in
                let data = randomExamples(steps * batch)
                return {
                    // A fresh trainer per loop: one epoch over exactly `steps` batches; Adam's state
                    // lives in the optimizer and carries on.
                    let trainer = Trainer(network: model, optimizer: optimizer,
                                          options: TrainingOptions(epochs: 1, batchSize: batch, seed: 3, shards: shards))
                    try trainer.fit(data)
                }
            }
            results.append(result("train", training, flops: 3 * forwardFlops))
        }
        guard mode != .train else { return results }
        let inputs = randomExamples(batch).inputs
        let inference = try StepTiming(runs: runs, minimumSeconds: 0.5, minimumSteps: 3) { steps in
            { for _ in 0..<steps { _ = model.forward(inputs, context: .inference) } }
        }
        return results + [result("infer", inference, flops: forwardFlops)]
    }

    /// `count` images of uniform noise in [-1, 1) and uniformly drawn labels.
    private func randomExamples(_ count: Int) -> LabeledExamples {
        let random = CounterRandom(seed: 2)
        let labels = (0..<count).map { Int(random.bits(at: UInt64($0)) % UInt64(Self.classes)) }
        return LabeledExamples(inputs: KernelBenchmark.randomTensor([count] + config.inputShape, seed: 4),
                               labels: labels)
    }

    /// Multiply-adds of one image's forward pass through the convolutions and dense layers: each
    /// weight is used once per output pixel.
    static func forwardMultiplyAdds(_ architecture: ModelDescription) -> Int {
        architecture.layers.reduce(0) { total, layer in
            guard layer.type.hasPrefix("Conv2D") || layer.type.hasPrefix("Dense"),
                  let weight = layer.tensors.first(where: { $0.name.hasSuffix(".weight") }) else { return total }
            let pixels = layer.outputShape.count == 3 ? layer.outputShape[1] * layer.outputShape[2] : 1
            return total + weight.count * pixels
        }
    }
}
