// Sharded training steps: the same bits whether one process computes every shard or threads standing in for
// 2 or 3 processes hold blocks of them, whatever the thread count; SyncBatchNorm gradients that match finite
// differences; and a sharded step that computes what the unsharded one does, up to rounding.
import Foundation
import XCTest
@testable import Engine

final class ShardedTrainingTests: XCTestCase {
    override func tearDown() {
        EngineThreads.set(nil)
        super.tearDown()
    }

    /// The TrainingTests model: a DenseNet-BC backbone and a head with BatchNorm, dropout and two dense layers,
    /// so every layer that combines across images is on the path.
    private let config = ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                     head: HeadConfig(layers: [.globalPool(.average), .batchNorm,
                                                               .dense(units: 8, relu: true, initializer: .heNormalTruncated),
                                                               .dropout(0.3),
                                                               .dense(units: 3, relu: false, initializer: .glorotUniform)]))

    func testImagesAreSplitIntoContiguousShardsWithTheRemainderOnTheFirst() {
        XCTAssertEqual(shardImageRanges(batch: 10, shards: 4), [0..<3, 3..<6, 6..<8, 8..<10])
        XCTAssertEqual(shardImageRanges(batch: 2, shards: 3), [0..<1, 1..<2, 2..<2])
        XCTAssertEqual(try (0..<3).map { try shardBlock(process: $0, processCount: 3, shardCount: 8) }, [0..<3, 3..<6, 6..<8])
        XCTAssertThrowsError(try shardBlock(process: 0, processCount: 5, shardCount: 4)) { error in
            XCTAssertEqual(error as? ShardExchangeError, .moreProcessesThanShards(processes: 5, shards: 4))
            XCTAssertTrue("\(error)".contains("5 processes") && "\(error)".contains("`shards` is 4"), "\(error)")
        }
    }

    /// Two epochs with 17 images in batches of 7 (the last of 3, one per shard) and 3 shards: one process, two
    /// processes (shards 0–1 and 2) and three give the same weights, running statistics and epoch figures.
    func testShardedTrainingGivesTheSameBitsForOneTwoAndThreeProcesses() throws {
        let one = try train(shards: 3, processes: 1)
        let two = try train(shards: 3, processes: 2)
        let three = try train(shards: 3, processes: 3)
        XCTAssertEqual(two.weights, one.weights)
        XCTAssertEqual(three.weights, one.weights)
        XCTAssertEqual(two.history, one.history)
        XCTAssertEqual(three.history, one.history)
    }

    func testShardedTrainingIsBitIdenticalAcrossThreadCounts() throws {
        EngineThreads.set(1)
        let one = try train(shards: 3, processes: 2)
        EngineThreads.set(2)
        let two = try train(shards: 3, processes: 2)
        XCTAssertEqual(one.weights, two.weights)
    }

    /// The ImageNet stem (BatchNorm and max pooling before the blocks), precise BatchNorm before each
    /// validation, and batches of 5 over 5 shards (one image each; the two images left over merged into the batch
    /// before): still the same bits for 1 and 3 processes.
    func testImageNetStemAndPreciseBatchNormGiveTheSameBitsForOneAndThreeProcesses() throws {
        var backbone = ModelTests.tinyBC
        backbone.stem = .imagenet
        let config = ModelConfig(inputShape: [1, 16, 16], backbone: backbone, head: .linear(classes: 3))
        let one = try train(shards: 5, processes: 1, config: config, batch: 5, lastBatch: .merge, preciseBatchNorm: true)
        let three = try train(shards: 5, processes: 3, config: config, batch: 5, lastBatch: .merge, preciseBatchNorm: true)
        XCTAssertEqual(three.weights, one.weights)
        XCTAssertEqual(three.history, one.history)
    }

    func testABatchSmallerThanTheShardsIsRefusedNamingBoth() throws {
        let model = try Model(config, seed: 1)
        let trainer = Trainer(network: model, optimizer: .sgd(parameters: model.parameters, learningRate: 0.1),
                              options: TrainingOptions(epochs: 1, batchSize: 4, seed: 2, shards: 3))
        // 6 images in batches of 4 end with a batch of 2, one image short of 3 shards.
        XCTAssertThrowsError(try trainer.fit(ModelTests.examples(6, seed: 3))) { error in
            XCTAssertEqual(error as? TrainingError, .batchSmallerThanShards(batch: 2, shards: 3))
            XCTAssertTrue("\(error)".contains("`shards` 3"), "\(error)")
        }
    }

    /// Shards change how sums are split, not what they are: with SGD (which passes gradient differences on
    /// unamplified), three shards end within rounding of the unsharded run, and not at the bits of it.
    func testShardedTrainingComputesTheUnshardedStepUpToRounding() throws {
        let plain = try train(shards: 1, processes: 1, adam: false)
        let sharded = try train(shards: 3, processes: 1, adam: false)
        var worst: Float = 0
        for (name, bits) in plain.weights {
            for (a, b) in zip(bits, sharded.weights[name]!) {
                worst = max(worst, abs(Float(bitPattern: a) - Float(bitPattern: b)) / max(1, abs(Float(bitPattern: a))))
            }
        }
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertNotEqual(plain.weights, sharded.weights, "sharded sums are added in another order than unsharded ones")
    }

    func testShardedBatchNormGradientsMatchFiniteDifferences() {
        let images = BatchNorm(name: "bn", features: 3, convention: .pytorch)
        for c in 0..<3 { images.gamma.value.data[c] = 0.5 + Float(c) * 0.3; images.beta.value.data[c] = 0.1 * Float(c) }
        assertGradientsMatch(ShardCombining(images, shards: 3), input: randomTensor([5, 3, 2, 3], seed: 3))
        // [N, F]: channels side by side in the lanes, the head's layout.
        let features = BatchNorm(name: "bn", features: 11, convention: .keras)
        assertGradientsMatch(ShardCombining(features, shards: 4), input: randomTensor([7, 11], seed: 4))
    }

    func testShardedDenseGradientsMatchFiniteDifferences() {
        let dense = Dense(name: "dense", inputs: 5, outputs: 4, random: CounterRandom(seed: 8))
        assertGradientsMatch(ShardCombining(dense, shards: 3), input: randomTensor([5, 5], seed: 9))
    }

    func testAnExchangeOfAnotherShardCountIsRefused() throws {
        let model = try Model(config, seed: 1)
        let trainer = Trainer(network: model, optimizer: .sgd(parameters: model.parameters, learningRate: 0.1),
                              options: TrainingOptions(epochs: 1, batchSize: 4, seed: 2, shards: 3))
        trainer.shardExchange = LocalShards(shardCount: 2)
        XCTAssertThrowsError(try trainer.fit(ModelTests.examples(8, seed: 3))) { error in
            XCTAssertEqual(error as? TrainingError, .shardCountMismatch(exchange: 2, shards: 3))
        }
    }

    /// Weights (as bits) and epoch figures after two epochs of `shards` shards held by `processes` threads, each
    /// with its own model from the same seed; every process must end with the same weights.
    private typealias Trained = (weights: [String: [UInt32]], history: [[Double]])

    private func train(shards: Int, processes: Int, adam: Bool = true, config: ModelConfig? = nil, batch: Int = 7,
                       lastBatch: LastBatch = .keep, preciseBatchNorm: Bool = false) throws -> Trained {
        let config = config ?? self.config
        let examples = ModelTests.examples(17, seed: 5, shape: config.inputShape)
        let validation = ModelTests.examples(6, seed: 6, shape: config.inputShape)
        let meeting = RankMeeting(processes: processes)
        let results = RankResults(processes)
        let threads = try (0..<processes).map { rank in
            let block = try shardBlock(process: rank, processCount: processes, shardCount: shards)
            return Thread {
                let result = Result<Trained, Error> {
                    let model = try Model(config, seed: 11)
                    let optimizer: Optimizer = adam ? .adam(parameters: model.parameters, learningRate: 3e-3)
                        : .sgd(parameters: model.parameters, learningRate: 0.05)
                    let trainer = Trainer(network: model, optimizer: optimizer,
                                          options: TrainingOptions(epochs: 2, batchSize: batch, lastBatch: lastBatch, seed: 12,
                                                                   augmentation: .cifar,
                                                                   preciseBatchNorm: preciseBatchNorm ? PreciseBatchNorm(batches: 2) : nil,
                                                                   shards: shards))
                    if processes > 1 {
                        trainer.shardExchange = ThreadedShardExchange(meeting: meeting, rank: rank, shardCount: shards,
                                                                      localShards: block)
                    }
                    try trainer.fit(examples, validation: preciseBatchNorm ? validation : nil)
                    let weights = Dictionary(uniqueKeysWithValues: model.namedTensors.map {
                        ($0.name, $0.tensor.array.map(\.bitPattern))
                    })
                    return (weights: weights, history: trainer.history.map {
                        [$0.loss, $0.accuracy, $0.validationLoss ?? -1, $0.validationAccuracy ?? -1]
                    })
                }
                results.set(rank, result)
            }
        }
        threads.forEach { $0.stackSize = 8 << 20; $0.start() }
        let finished = try results.wait(seconds: 120).map { try $0.get() }
        for other in finished.dropFirst() { XCTAssertEqual(other.weights, finished[0].weights, "processes disagree") }
        return finished[0]
    }
}

/// What each simulated process ended with, filled in by its thread.
private final class RankResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<(weights: [String: [UInt32]], history: [[Double]]), Error>?]

    init(_ processes: Int) { results = Array(repeating: nil, count: processes) }

    func set(_ rank: Int, _ result: Result<(weights: [String: [UInt32]], history: [[Double]]), Error>) {
        lock.withLock { results[rank] = result }
    }

    /// Every process's result once all have one; a timeout error after `seconds`.
    func wait(seconds: Double) throws -> [Result<(weights: [String: [UInt32]], history: [[Double]]), Error>] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let all = lock.withLock({ results.contains { $0 == nil } ? nil : results.map { $0! } }) { return all }
            guard Date() < deadline else { throw RankMeeting.Timeout() }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

/// A layer run as one process holding every one of `shards` shards of its batch: a fresh `ShardedBatch` per
/// forward, and the per-shard gradients folded into the parameters' after backward, as the trainer does.
private final class ShardCombining: Layer {
    let inner: Layer
    let exchange: LocalShards
    private var batch: ShardedBatch?

    init(_ inner: Layer, shards: Int) {
        self.inner = inner
        exchange = LocalShards(shardCount: shards)
    }

    var name: String { inner.name }
    var parameters: [Parameter] { inner.parameters }
    func outputShape(for inputShape: [Int]) -> [Int] { inner.outputShape(for: inputShape) }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        var context = context
        batch = ShardedBatch(exchange: exchange, batch: x.shape[0])
        context.shards = batch
        return inner.forward(x, context: context)
    }

    func backward(_ dy: Tensor) -> Tensor {
        let dx = inner.backward(dy)
        try! batch!.combineGradients(inner.parameters.filter(\.trainable))
        return dx
    }
}

/// Where threads standing in for processes meet: each brings its bytes, and once all have, each leaves with
/// everyone's, in rank order. Waits at most 60 s, so a test whose ranks diverge fails instead of hanging.
final class RankMeeting: @unchecked Sendable {
    struct Timeout: Error {}
    let processes: Int
    private let condition = NSCondition()
    private var contributions: [[UInt8]]
    private var arrived = 0
    private var round = 0
    private var published: [Int: [[UInt8]]] = [:]

    init(processes: Int) {
        self.processes = processes
        contributions = Array(repeating: [], count: processes)
    }

    func meet(rank: Int, bytes: [UInt8]) throws -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        let mine = round
        contributions[rank] = bytes
        arrived += 1
        if arrived == processes {
            published[mine] = contributions
            published[mine - 2] = nil  // no process can still be two rounds behind
            arrived = 0
            round += 1
            condition.broadcast()
        } else {
            let deadline = Date().addingTimeInterval(60)
            while round == mine {
                guard condition.wait(until: deadline) else { throw Timeout() }
            }
        }
        return published[mine]!
    }
}

/// One simulated process of a `RankMeeting`: shards `localShards` of `shardCount`.
final class ThreadedShardExchange: ShardExchange {
    let meeting: RankMeeting
    let rank: Int
    let shardCount: Int
    let localShards: Range<Int>

    init(meeting: RankMeeting, rank: Int, shardCount: Int, localShards: Range<Int>) {
        self.meeting = meeting
        self.rank = rank
        self.shardCount = shardCount
        self.localShards = localShards
    }

    func allGather(local: UnsafeRawBufferPointer, bytesPerShard: Int, into all: UnsafeMutableRawBufferPointer) throws {
        precondition(local.count == bytesPerShard * localShards.count && all.count == bytesPerShard * shardCount)
        let gathered = try meeting.meet(rank: rank, bytes: Array(local)).flatMap { $0 }
        precondition(gathered.count == all.count, "ranks gathered \(gathered.count) bytes, expected \(all.count)")
        all.copyBytes(from: gathered)
    }

    func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { try meeting.meet(rank: rank, bytes: bytes)[0] }
}
