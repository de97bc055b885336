// Batches fetched ahead on a background thread are the batches fetched on demand: the prefetch depth
// changes timing only, never a weight; a source that fails to read fails the training at that batch.
import XCTest
@testable import Engine

final class BatchPrefetchTests: XCTestCase {
    /// A source that records which thread and order it is read in, and can fail at one batch.
    private final class RecordingSource: ExampleSource {
        let inner: LabeledExamples
        var failAtCall: Int?
        private(set) var calls = 0

        init(_ inner: LabeledExamples, failAtCall: Int? = nil) {
            self.inner = inner
            self.failAtCall = failAtCall
        }

        var count: Int { inner.count }
        var exampleShape: [Int] { inner.exampleShape }

        struct ReadFailure: Error, Equatable {}

        func gather(_ indices: [Int], into batch: Tensor) throws -> [Int] {
            defer { calls += 1 }
            if calls == failAtCall { throw ReadFailure() }
            return try inner.gather(indices, into: batch)
        }
    }

    func testEveryDepthYieldsTheSameAugmentedBatches() throws {
        let data = ModelTests.examples(23, seed: 4)
        let batches = epochBatches(count: data.count, batchSize: 5, epoch: 2, shuffle: CounterRandom(seed: 8))
        let random = CounterRandom(seed: 3).stream(1)
        func all(depth: Int) throws -> [([Float], [Int])] {
            let feed = BatchPrefetcher(source: data, batches: batches, depth: depth, augmentation: .cifar, random: random)
            var out: [([Float], [Int])] = []
            while let (inputs, labels) = try feed.nextBatch() { out.append((inputs.array, labels)) }
            return out
        }
        // The reference: the whole-tensor gather the trainer used before sources existed.
        let reference = batches.map { indices -> ([Float], [Int]) in
            let batch = Tensor(zeros: [indices.count] + data.exampleShape)
            gatherBatch(data.inputs, indices: indices, into: batch, augmentation: .cifar, random: random)
            return (batch.array, indices.map { data.labels[$0] })
        }
        for depth in [0, 1, 2, 5] {
            let got = try all(depth: depth)
            XCTAssertEqual(got.map(\.0), reference.map(\.0), "depth \(depth)")
            XCTAssertEqual(got.map(\.1), reference.map(\.1), "depth \(depth)")
        }
    }

    func testAFailingReadSurfacesAtItsBatch() throws {
        let source = RecordingSource(ModelTests.examples(20, seed: 1), failAtCall: 2)
        let feed = BatchPrefetcher(source: source, batches: [[0, 1], [2, 3], [4, 5], [6, 7]], depth: 2)
        XCTAssertNotNil(try feed.nextBatch())
        XCTAssertNotNil(try feed.nextBatch())
        XCTAssertThrowsError(try feed.nextBatch()) { XCTAssertEqual($0 as? RecordingSource.ReadFailure, .init()) }
    }

    /// A source whose second read blocks until released, logging when each read ends.
    private final class GatedSource: ExampleSource, @unchecked Sendable {
        let inner: LabeledExamples
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let lock = NSLock()
        private(set) var log: [String] = []
        private(set) var calls = 0

        init(_ inner: LabeledExamples) { self.inner = inner }

        var count: Int { inner.count }
        var exampleShape: [Int] { inner.exampleShape }

        func note(_ event: String) { lock.withLock { log.append(event) } }

        func gather(_ indices: [Int], into batch: Tensor) throws -> [Int] {
            let call = lock.withLock { defer { calls += 1 }; return calls }
            if call == 1 {
                entered.signal()
                release.wait()
            }
            defer { note("read \(call) ended") }
            return try inner.gather(indices, into: batch)
        }
    }

    func testAbandoningAFeedWaitsForItsThreadAndReadsNoFurther() throws {
        let source = GatedSource(ModelTests.examples(40, seed: 1))
        do {
            let feed = BatchPrefetcher(source: source, batches: (0..<20).map { [$0, $0 + 20] }, depth: 3)
            _ = try feed.nextBatch()
            XCTAssertEqual(source.entered.wait(timeout: .now() + 30), .success, "the thread reads ahead")
            // The read in progress ends only after the feed is dropped below; a feed that did not wait
            // for its thread would log its own end first.
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { source.release.signal() }
        }
        source.note("feed dropped")
        XCTAssertEqual(source.log, ["read 0 ended", "read 1 ended", "feed dropped"],
                       "the feed waited for the read in progress and started no other")
    }

    func testTrainingWithAndWithoutPrefetchGivesIdenticalWeights() throws {
        let config = ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                 head: HeadConfig(layers: [.globalPool(.average), .dense(units: 3, relu: false, initializer: .glorotUniform)]))
        func train(depth: Int) throws -> [Float] {
            let model = try Model(config, seed: 5)
            let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 3e-3),
                                  options: TrainingOptions(epochs: 2, batchSize: 4, seed: 2, augmentation: .cifar))
            trainer.prefetchDepth = depth
            try trainer.fit(ModelTests.examples(14, seed: 1), validation: ModelTests.examples(6, seed: 2))
            return model.namedTensors.flatMap { $0.tensor.array }
        }
        XCTAssertEqual(try train(depth: 0), try train(depth: 3))
    }
}
