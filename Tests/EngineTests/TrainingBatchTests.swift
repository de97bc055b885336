// Seeded shuffling and augmentation: every draw repeats for the same seed and epoch.
import XCTest
@testable import Engine

final class TrainingBatchTests: XCTestCase {
    func testEpochBatchesCoverEveryExampleOnceInSeededOrder() {
        let seed = CounterRandom(seed: 42)
        let batches = epochBatches(count: 10, batchSize: 4, epoch: 3, shuffle: seed)
        XCTAssertEqual(batches.map(\.count), [4, 4, 2])
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<10))
        XCTAssertEqual(epochBatches(count: 10, batchSize: 4, epoch: 3, shuffle: seed), batches)
        XCTAssertNotEqual(epochBatches(count: 10, batchSize: 4, epoch: 4, shuffle: seed), batches)
        XCTAssertEqual(epochBatches(count: 5, batchSize: 2, epoch: 0, shuffle: nil), [[0, 1], [2, 3], [4]])
    }

    /// Three 1-channel 4x5 images whose pixels are all distinct and non-zero.
    private let images: Tensor = {
        let t = Tensor(zeros: [3, 1, 4, 5])
        for i in 0..<t.count { t.data[i] = Float(i + 1) }
        return t
    }()

    func testGatherWithoutAugmentationCopies() {
        let batch = Tensor(zeros: [2, 1, 4, 5])
        gatherBatch(images, indices: [2, 0], into: batch, random: CounterRandom(seed: 1))
        XCTAssertEqual(batch.array, Array(images.array[40..<60]) + Array(images.array[0..<20]))
    }

    func testCropAndFlipMoveEveryPixelByTheExamplesDraws() {
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let random = CounterRandom(seed: 9).stream(5)
        let batch = Tensor(zeros: [3, 1, 4, 5])
        gatherBatch(images, indices: [0, 1, 2], into: batch, augmentation: augmentation, random: random)
        for example in 0..<3 {
            let (dy, dx, flip) = augmentation.draws(random.stream(UInt64(example)))
            for y in 0..<4 {
                for x in 0..<5 {
                    let sy = y + dy - 2, sx = (flip ? 4 - x : x) + dx - 2
                    let expected: Float = (0..<4).contains(sy) && (0..<5).contains(sx) ? Float(example * 20 + sy * 5 + sx + 1) : 0
                    XCTAssertEqual(batch.data[example * 20 + y * 5 + x], expected, "example \(example) y \(y) x \(x)")
                }
            }
        }
    }

    func testAugmentationRepeatsPerEpochAndChangesAcrossEpochs() {
        let augmentation = Augmentation.cifar
        let many = Tensor(zeros: [64, 1, 4, 5])
        for i in 0..<many.count { many.data[i] = Float(i % 20 + 1) }
        func run(epoch: UInt64) -> [Float] {
            let batch = Tensor(zeros: [64, 1, 4, 5])
            gatherBatch(many, indices: Array(0..<64), into: batch, augmentation: augmentation,
                        random: CounterRandom(seed: 3).stream(epoch))
            return batch.array
        }
        XCTAssertEqual(run(epoch: 0), run(epoch: 0))
        XCTAssertNotEqual(run(epoch: 0), run(epoch: 1))
    }
}
