// Training and inference speed of a model on random inputs: the figures the benchmark reports next
// to PyTorch and Keras running the same models.
import Dispatch

/// Images per second of one model at one batch size.
public struct Throughput: Equatable, Sendable {
    /// Forward + cross-entropy + backward + Adam step.
    public let trainImagesPerSecond: Double
    /// Forward in inference mode.
    public let inferenceImagesPerSecond: Double
}

/// Measures `config` at `batchSize` on random inputs: `steps` timed train steps and inference passes
/// after one untimed warm-up of each, reporting the median of each.
public func measureThroughput(_ config: ModelConfig, batchSize: Int, steps: Int = 5, seed: UInt64 = 1) throws -> Throughput {
    precondition(steps > 0 && batchSize > 0, "measureThroughput: steps \(steps) and batch size \(batchSize) must be positive")
    let model = try Model(config, seed: seed)
    let classes = model.architecture.outputShape.count == 1 ? model.architecture.outputShape[0] : 0
    guard classes > 0 else {
        throw ModelError.invalidConfig(field: "head", value: "none", expected: "a head with a dense layer to train")
    }
    let inputs = Tensor(zeros: [batchSize] + config.inputShape)
    let random = CounterRandom(seed: seed).stream(1)
    for i in 0..<inputs.count { inputs.data[i] = random.normal(at: UInt64(i)) }
    let labels = (0..<batchSize).map { $0 % classes }
    let optimizer = Optimizer.adam(parameters: model.parameters)
    func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    var train: [Double] = [], inference: [Double] = []
    for step in 0...steps {
        let t = seconds {
            optimizer.zeroGradients()
            let logits = model.forward(inputs, context: ForwardContext(training: true, step: UInt64(step)))
            model.backward(logitGradient: softmaxCrossEntropy(logits: logits, labels: labels).dlogits)
            optimizer.step()
        }
        let i = seconds { _ = model.forward(inputs, context: .inference) }
        if step > 0 { train.append(t); inference.append(i) }
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    return Throughput(trainImagesPerSecond: Double(batchSize) / median(train),
                      inferenceImagesPerSecond: Double(batchSize) / median(inference))
}
