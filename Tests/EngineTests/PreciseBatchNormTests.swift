// Precise BatchNorm: the running statistics become the equal-weight average of the chosen batches'
// statistics, a model whose running statistics were garbage evaluates as its batch statistics say,
// frozen layers keep theirs, the result does not depend on the thread count, and the trainer
// recomputes them at the end of every epoch.
import XCTest
@testable import Engine

final class PreciseBatchNormTests: XCTestCase {
    override func tearDown() {
        EngineThreads.set(nil)
        super.tearDown()
    }

    func testBatchesAreFullSeededAndFixed() {
        let precise = PreciseBatchNorm(batches: 3)
        let random = CounterRandom(seed: 9)
        let batches = precise.batchIndices(count: 50, batchSize: 8, random: random)
        XCTAssertEqual(batches.map(\.count), [8, 8, 8])
        XCTAssertEqual(Set(batches.joined()).count, 24, "no example twice")
        XCTAssertEqual(batches, precise.batchIndices(count: 50, batchSize: 8, random: random))
        XCTAssertEqual(PreciseBatchNorm(batches: 100).batchIndices(count: 50, batchSize: 8, random: random).count, 6,
                       "only full batches, so every batch weighs what its size says")
        XCTAssertEqual(precise.batchIndices(count: 5, batchSize: 8, random: random).map { $0.sorted() }, [[0, 1, 2, 3, 4]])
    }

    func testRunningStatisticsAreTheAverageOfTheChosenBatchesStatistics() throws {
        // The study's frozen head on [4, 2, 2] features: flatten, then its first BatchNorm sees the
        // features themselves, so its statistics can be computed here independently.
        let head = try Head(.studyFrozen(classes: 3), featureShape: [4, 2, 2], random: CounterRandom(seed: 1))
        let data = ModelTests.examples(50, seed: 2, shape: [4, 2, 2])
        let precise = PreciseBatchNorm(batches: 4), random = CounterRandom(seed: 3)
        let weightsBefore = head.parameters.map(\.value.array)
        try precise.recompute(head, on: data, batchSize: 8, random: random)

        let batches = precise.batchIndices(count: 50, batchSize: 8, random: random)
        let features = 16
        var mean = [Double](repeating: 0, count: features), variance = mean
        for batch in batches {
            for f in 0..<features {
                let values = batch.map { Double(data.inputs.data[$0 * features + f]) }
                let m = values.reduce(0, +) / Double(values.count)
                mean[f] += m / Double(batches.count)
                variance[f] += values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count) / Double(batches.count)
            }
        }
        let first = head.batchNorms[0]
        for f in 0..<features {
            XCTAssertEqual(Double(first.runningMean.value.data[f]), mean[f], accuracy: 1e-6, "mean of feature \(f)")
            XCTAssertEqual(Double(first.runningVariance.value.data[f]), variance[f], accuracy: 1e-5, "variance of feature \(f)")
        }
        for norm in head.batchNorms.dropFirst() {
            XCTAssertNotEqual(norm.runningVariance.value.array, [Float](repeating: 1, count: norm.features), norm.name)
        }
        XCTAssertEqual(head.parameters.map(\.value.array), weightsBefore, "recomputing statistics trains nothing")
    }

    func testAModelWithGarbageStatisticsEvaluatesAsItsBatchStatisticsSay() throws {
        let model = try Model(ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                          head: .studyOptimized(classes: 3)), seed: 4)
        let images = ModelTests.examples(16, seed: 5).inputs
        // With one batch of all images, precise statistics are that batch's own: inference must then
        // give what a training forward (batch statistics, no dropout) gives.
        let expected = model.forward(images, context: ForwardContext(training: true, dropout: false)).array
        for norm in model.batchNorms {
            norm.runningMean.value.fill(50)
            norm.runningVariance.value.fill(1e-3)
        }
        let garbage = model.forward(images, context: .inference).array
        XCTAssertGreaterThan(zip(garbage, expected).map { abs($0 - $1) }.max()!, 1, "the statistics matter")

        recomputeBatchNormStatistics(model, batches: [images])
        let recomputed = model.forward(images, context: .inference).array
        for (a, b) in zip(recomputed, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testFrozenBatchNormsKeepTheirStatistics() throws {
        let model = try Model(ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                          head: .studyOptimized(classes: 3), freezing: .backbone), seed: 6)
        let before = model.snapshot()
        recomputeBatchNormStatistics(model, batches: [ModelTests.examples(8, seed: 7).inputs])
        let after = model.snapshot()
        for norm in model.batchNorms {
            let changed = after[norm.runningMean.name]!.array != before[norm.runningMean.name]!.array
            XCTAssertEqual(changed, norm.name.hasPrefix("head."), norm.name)
            XCTAssertEqual(after[norm.runningVariance.name]!.array != before[norm.runningVariance.name]!.array,
                           norm.name.hasPrefix("head."), norm.name)
        }
    }

    func testRecomputedStatisticsAreBitIdenticalAcrossThreadCounts() throws {
        let data = ModelTests.examples(40, seed: 8)
        func statistics(threads: Int) throws -> [UInt32] {
            EngineThreads.set(threads)
            let model = try Model(ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC,
                                              head: .studyOptimized(classes: 3)), seed: 9)
            try PreciseBatchNorm(batches: 3).recompute(model, on: data, batchSize: 8, random: CounterRandom(seed: 10))
            return model.batchNorms.flatMap { $0.runningMean.value.array + $0.runningVariance.value.array }.map(\.bitPattern)
        }
        XCTAssertEqual(try statistics(threads: 1), try statistics(threads: 2))
    }

    func testTheTrainerRecomputesStatisticsBeforeEachValidation() throws {
        let model = try Model(ModelConfig(inputShape: [1, 8, 8], backbone: ModelTests.tinyBC, head: .linear(classes: 3)),
                              seed: 11)
        let train = ModelTests.examples(40, seed: 12), precise = PreciseBatchNorm(batches: 2)
        let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 1e-2),
                              options: TrainingOptions(epochs: 2, batchSize: 8, seed: 13, preciseBatchNorm: precise))
        var validated: [[Float]] = []
        try trainer.fit(train, validation: ModelTests.examples(8, seed: 14)) { _, trainer in
            validated.append(trainer.network.batchNorms.flatMap(\.runningMean.value.array))
        }
        let afterTraining = model.batchNorms.flatMap(\.runningMean.value.array)
        XCTAssertEqual(validated.last, afterTraining)
        // The same batches with the final weights give the same statistics: the epoch ended with them.
        for norm in model.batchNorms { norm.runningMean.value.fill(0) }
        try precise.recompute(model, on: train, batchSize: 8, random: CounterRandom(seed: 13).stream(3))
        XCTAssertEqual(model.batchNorms.flatMap(\.runningMean.value.array), afterTraining)
    }
}
