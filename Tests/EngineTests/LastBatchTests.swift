// What an epoch does with a remainder that does not fill a batch: keep it as a small last batch,
// drop it, or merge it into the batch before; and the trainer training on exactly those batches,
// bit-identically with 1 and 2 threads.
import XCTest
@testable import Engine

final class LastBatchTests: XCTestCase {
    override func tearDown() {
        EngineThreads.set(nil)
        super.tearDown()
    }

    /// The default pipeline's target training split: 450 images in batches of 64 leave 2 over.
    func testKeepDropAndMergeOfTheDefaultPipelinesSplit() {
        let seed = CounterRandom(seed: 42)
        let keep = epochBatches(count: 450, batchSize: 64, epoch: 0, shuffle: seed, lastBatch: .keep)
        let drop = epochBatches(count: 450, batchSize: 64, epoch: 0, shuffle: seed, lastBatch: .drop)
        let merge = epochBatches(count: 450, batchSize: 64, epoch: 0, shuffle: seed, lastBatch: .merge)
        XCTAssertEqual(keep.map(\.count), Array(repeating: 64, count: 7) + [2])
        XCTAssertEqual(drop.map(\.count), Array(repeating: 64, count: 7))
        XCTAssertEqual(merge.map(\.count), Array(repeating: 64, count: 6) + [66])
        // The same permutation underneath: drop leaves out keep's last two, merge appends them.
        XCTAssertEqual(drop, Array(keep.prefix(7)))
        XCTAssertEqual(merge.last, keep[6] + keep[7])
        XCTAssertEqual(merge.flatMap { $0 }.sorted(), Array(0..<450))
        // Shuffled anew each epoch, so each epoch drops other images.
        let nextDrop = epochBatches(count: 450, batchSize: 64, epoch: 1, shuffle: seed, lastBatch: .drop)
        XCTAssertNotEqual(Set(nextDrop.flatMap { $0 }), Set(drop.flatMap { $0 }))
    }

    func testASplitTheBatchDividesIsTheSameWhateverTheChoice() {
        let keep = epochBatches(count: 12, batchSize: 4, epoch: 0, shuffle: nil)
        XCTAssertEqual(epochBatches(count: 12, batchSize: 4, epoch: 0, shuffle: nil, lastBatch: .drop), keep)
        XCTAssertEqual(epochBatches(count: 12, batchSize: 4, epoch: 0, shuffle: nil, lastBatch: .merge), keep)
    }

    func testFewerExamplesThanOneBatch() {
        XCTAssertEqual(epochBatches(count: 3, batchSize: 4, epoch: 0, shuffle: nil, lastBatch: .keep), [[0, 1, 2]])
        XCTAssertEqual(epochBatches(count: 3, batchSize: 4, epoch: 0, shuffle: nil, lastBatch: .merge), [[0, 1, 2]])
        XCTAssertEqual(epochBatches(count: 3, batchSize: 4, epoch: 0, shuffle: nil, lastBatch: .drop), [])
    }

    /// Two epochs of the BatchNorm model of TrainingTests on 20 examples in batches of 6, with
    /// `lastBatch`: the batch sizes the network saw in training, and the final weights' bits.
    private func train(_ lastBatch: LastBatch, threads: Int) throws -> (sizes: [Int], bits: [UInt32], history: [EpochRecord]) {
        EngineThreads.set(threads)
        let config = ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                 head: HeadConfig(layers: [.globalPool(.average), .batchNorm,
                                                     .dense(units: 3, relu: false, initializer: .glorotUniform)]))
        let network = BatchSizeRecorder(try Model(config, seed: 3))
        let trainer = Trainer(network: network, optimizer: .adam(parameters: network.parameters, learningRate: 3e-3),
                              options: TrainingOptions(epochs: 2, batchSize: 6, lastBatch: lastBatch, seed: 9, augmentation: .cifar))
        try trainer.fit(ModelTests.examples(20, seed: 1))
        return (network.trainingBatchSizes, network.namedTensors.flatMap { $0.tensor.array.map(\.bitPattern) }, trainer.history)
    }

    func testTheTrainerTrainsOnTheChosenBatchesBitIdenticallyWithOneAndTwoThreads() throws {
        let expected: [LastBatch: [Int]] = [.keep: [6, 6, 6, 2], .drop: [6, 6, 6], .merge: [6, 6, 8]]
        var weights: [LastBatch: [UInt32]] = [:]
        for choice in LastBatch.allCases {
            let one = try train(choice, threads: 1), two = try train(choice, threads: 2)
            XCTAssertEqual(one.sizes, expected[choice]! + expected[choice]!, "\(choice)")
            XCTAssertEqual(one.bits, two.bits, "\(choice) differs between 1 and 2 threads")
            XCTAssertEqual(one.history.map(\.loss), two.history.map(\.loss), "\(choice)")
            weights[choice] = one.bits
        }
        XCTAssertNotEqual(weights[.keep], weights[.drop])
        XCTAssertNotEqual(weights[.keep], weights[.merge])
        XCTAssertNotEqual(weights[.drop], weights[.merge])
    }
}

/// A network that records the batch size of every training forward of the network it wraps.
private final class BatchSizeRecorder: TrainableNetwork {
    let wrapped: TrainableNetwork
    private(set) var trainingBatchSizes: [Int] = []

    init(_ wrapped: TrainableNetwork) { self.wrapped = wrapped }

    var parameters: [Parameter] { wrapped.parameters }
    var namedTensors: [(name: String, tensor: Tensor)] { wrapped.namedTensors }
    var batchNorms: [BatchNorm] { wrapped.batchNorms }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        if context.training { trainingBatchSizes.append(x.shape[0]) }
        return wrapped.forward(x, context: context)
    }

    func backward(logitGradient: Tensor) { wrapped.backward(logitGradient: logitGradient) }
}
