// The trainer end to end: resuming from a checkpoint reproduces an uninterrupted run bit for bit,
// a DenseNet-BC learns a synthetic 10-class task, and evaluation counts what it should.
import XCTest
@testable import Engine

final class TrainingTests: XCTestCase {
    private let config = ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                     head: HeadConfig(layers: [.globalPool(.average), .batchNorm,
                                                         .dense(units: 8, relu: true, initializer: .heNormalTruncated),
                                                         .dropout(0.3), .dense(units: 3, relu: false, initializer: .glorotUniform)]))

    private func trainer(for model: Model, epochs: Int) -> Trainer {
        Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 3e-3),
                options: TrainingOptions(epochs: epochs, batchSize: 6, seed: 9, augmentation: .cifar,
                                         reduceLROnPlateau: ReduceLROnPlateau(factor: 0.5, patience: 1),
                                         earlyStopping: EarlyStopping(patience: 5, restoreBestWeights: true),
                                         bestModel: BestModelSelection(monitor: MetricMonitor(metric: "val_accuracy"))))
    }

    func testResumingFromACheckpointMatchesAnUninterruptedRun() throws {
        let train = ModelTests.examples(18, seed: 1), validation = ModelTests.examples(6, seed: 2)
        let uninterrupted = try Model(config, seed: 3)
        let reference = trainer(for: uninterrupted, epochs: 4)
        try reference.fit(train, validation: validation)

        var saved: Checkpoint?
        let first = trainer(for: try Model(config, seed: 3), epochs: 4)
        try first.fit(train, validation: validation) { record, trainer in
            if record.epoch == 1 { saved = trainer.checkpoint() }
        }
        // Same config and seed: they fix the dropout masks; the checkpoint holds everything else.
        let resumedModel = try Model(config, seed: 3)
        let resumed = trainer(for: resumedModel, epochs: 4)
        try resumed.restore(try XCTUnwrap(saved))
        XCTAssertEqual(resumed.history.count, 2)
        try resumed.fit(train, validation: validation)

        for ((name, a), (_, b)) in zip(uninterrupted.namedTensors, resumedModel.namedTensors) {
            XCTAssertEqual(a.array, b.array, name)
        }
        XCTAssertEqual(resumed.history.map(\.loss), reference.history.map(\.loss))
        XCTAssertEqual(resumed.history.map(\.learningRate), reference.history.map(\.learningRate))
        XCTAssertEqual(resumed.bestEpoch, reference.bestEpoch)
        XCTAssertEqual(resumed.bestWeights?["head.dense2.weight"]?.array, reference.bestWeights?["head.dense2.weight"]?.array)
    }

    func testANaNLossStopsTrainingNamingTheEpochAndBatch() throws {
        let model = try Model(config, seed: 3)
        model.namedTensors[0].tensor.data[0] = .nan
        var epochs = 0
        XCTAssertThrowsError(try trainer(for: model, epochs: 3).fit(ModelTests.examples(18, seed: 1)) { _, _ in epochs += 1 }) {
            guard case let .nonFiniteLoss(epoch, batch, loss)? = $0 as? TrainingError else { return XCTFail("\($0)") }
            XCTAssertEqual([epoch, batch], [1, 1])
            XCTAssertTrue(loss.isNaN)
            XCTAssertEqual("\($0)", "the training loss is nan at epoch 1, batch 1; training stopped there. Check the input"
                           + " data and imported weights for NaN or infinite values, or lower the learning rate")
        }
        XCTAssertEqual(epochs, 0, "no epoch was recorded")
    }

    func testEarlyStoppingRestoresTheBestEpochsWeights() throws {
        // An odd monitor, a rising training loss, so that the run stops after a few epochs.
        func run(restoring: Bool) throws -> (Trainer, Model, [[String: Tensor]]) {
            let model = try Model(config, seed: 3)
            let stopping = EarlyStopping(monitor: MetricMonitor(metric: "loss", mode: .max), patience: 0,
                                         restoreBestWeights: restoring)
            let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 3e-3),
                                  options: TrainingOptions(epochs: 8, batchSize: 6, seed: 9, earlyStopping: stopping))
            var weights: [[String: Tensor]] = []
            try trainer.fit(ModelTests.examples(18, seed: 1)) { _, _ in weights.append(model.snapshot()) }
            return (trainer, model, weights)
        }
        let (trainer, model, weights) = try run(restoring: true)
        let (_, unrestored, _) = try run(restoring: false)
        let losses = trainer.history.map(\.loss)
        XCTAssertTrue(trainer.stoppedEarly, "losses \(losses)")
        let best = losses.firstIndex(of: losses.max()!)!
        XCTAssertLessThan(best, losses.count - 1)
        let finalBias = Dictionary(uniqueKeysWithValues: unrestored.namedTensors)["head.dense2.bias"]!.array
        XCTAssertNotEqual(finalBias, weights[best]["head.dense2.bias"]!.array)
        for (name, tensor) in model.namedTensors { XCTAssertEqual(tensor.array, weights[best][name]!.array, name) }
    }

    func testCheckpointWithoutTrainerStateOrOfAnotherSeedIsRejected() throws {
        let model = try Model(config, seed: 3)
        let t = trainer(for: model, epochs: 1)
        var checkpoint = t.checkpoint()
        checkpoint.metadata = [:]
        XCTAssertThrowsError(try t.restore(checkpoint)) { XCTAssertTrue("\($0)".contains("'trainer'"), "\($0)") }
        let otherSeed = Trainer(network: model, optimizer: .adam(parameters: model.parameters),
                                options: TrainingOptions(epochs: 1, batchSize: 6, seed: 10))
        XCTAssertThrowsError(try otherSeed.restore(t.checkpoint())) { XCTAssertTrue("\($0)".contains("seed 9"), "\($0)") }
    }

    /// Ten classes over 4-channel `size`x`size` images: class c's channel k has mean +1 or −1 by bit k
    /// of c + 3, under per-pixel noise of σ 1.5. One pixel says little; pooled over the image the
    /// classes separate cleanly.
    static func noisyCodes(_ count: Int, size: Int, seed: UInt64) -> LabeledExamples {
        let draws = CounterRandom(seed: seed)
        let images = Tensor(zeros: [count, 4, size, size])
        let plane = size * size
        var labels: [Int] = []
        for n in 0..<count {
            let label = Int(draws.bits(at: UInt64(n)) % 10)
            let noise = draws.stream(UInt64(n))
            for k in 0..<4 {
                let mean: Float = (label + 3) >> k & 1 == 1 ? 1 : -1
                for i in 0..<plane {
                    images.data[(n * 4 + k) * plane + i] = mean + 1.5 * noise.normal(at: UInt64(k * plane + i))
                }
            }
            labels.append(label)
        }
        return LabeledExamples(inputs: images, labels: labels)
    }

    func testDenseNetBCLearnsASyntheticTask() throws {
        // Debug builds run the kernels ~100x slower: a smaller image, network and data set there.
        #if DEBUG
        let (size, growth, trainCount, epochs) = (6, 4, 240, 3)
        #else
        let (size, growth, trainCount, epochs) = (8, 6, 1200, 3)
        #endif
        var net = try DenseNetConfig.bc(depth: 11, growthRate: growth, blocks: 2)
        // Keras's 0.99 needs hundreds of steps before the running statistics fit; this run is short.
        net.batchNormMomentum = 0.9
        let model = try Model(ModelConfig(inputShape: [4, size, size], backbone: net, head: .linear(classes: 10)), seed: 5)
        let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 1e-2),
                              options: TrainingOptions(epochs: epochs, batchSize: 8, seed: 1))
        try trainer.fit(Self.noisyCodes(trainCount, size: size, seed: 1))
        let result = evaluate(model, on: Self.noisyCodes(300, size: size, seed: 2))
        XCTAssertGreaterThan(result.accuracy, 0.9, "training accuracy per epoch \(trainer.history.map(\.accuracy))")
    }

    /// A network whose logits are its inputs: evaluation on chosen logits.
    private final class Echo: TrainableNetwork {
        var parameters: [Parameter] { [] }
        var namedTensors: [(name: String, tensor: Tensor)] { [] }
        var batchNorms: [BatchNorm] { [] }
        func forward(_ x: Tensor, context: ForwardContext) -> Tensor { x.reshaped([x.shape[0], x.shape[1]]) }
        func backward(logitGradient: Tensor) {}
    }

    func testEvaluationCountsConfusionPrecisionAndRecall() {
        // Predictions 0, 1, 1, 2 for labels 0, 1, 2, 2.
        let logits: [Float] = [5, 0, 0, 0, 5, 0, 0, 5, 0, 0, 0, 5]
        let data = LabeledExamples(inputs: Tensor(shape: [4, 3, 1, 1], values: logits), labels: [0, 1, 2, 2])
        var time = 0.0
        let result = evaluate(Echo(), on: data, batchSize: 3, clock: { time += 1; return time })
        XCTAssertEqual(result.confusion, [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        XCTAssertEqual(result.accuracy, 0.75)
        XCTAssertEqual(result.precision, [1, 0.5, 1])
        XCTAssertEqual(result.recall, [1, 1, 0.5])
        XCTAssertEqual(result.imagesPerSecond, 4)
        let wrong = softmaxCrossEntropy(logits: Tensor(shape: [1, 3], values: [0, 5, 0]), labels: [2]).loss
        let right = softmaxCrossEntropy(logits: Tensor(shape: [1, 3], values: [5, 0, 0]), labels: [0]).loss
        XCTAssertEqual(result.meanLoss, Double(3 * right + wrong) / 4, accuracy: 1e-6)
    }
}
