@testable import Datasets
@testable import Pipeline
import Store
import XCTest

final class SyntheticImagesTests: XCTestCase {
    private func digest(_ set: ImageDataset) -> String {
        guard case .uint8(let p) = set.pixels else { return "" }
        return Digest.sha256Hex(Data(p) + Data(set.labels.flatMap { [UInt8($0)] }))
    }

    func testSameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = try SyntheticImages.generate(count: 50, channels: 3, side: 32, seed: 42)
        let b = try SyntheticImages.generate(count: 50, channels: 3, side: 32, seed: 42)
        let c = try SyntheticImages.generate(count: 50, channels: 3, side: 32, seed: 43)
        XCTAssertEqual(digest(a), digest(b))
        XCTAssertNotEqual(digest(a), digest(c))
        XCTAssertEqual([a.count, a.channels, a.height, a.width], [50, 3, 32, 32])
    }

    func testClassesAreBalancedAndShuffled() throws {
        let set = try SyntheticImages.generate(count: 1003, channels: 1, side: 28, seed: 1)
        XCTAssertEqual(set.classCounts.min(), 100)
        XCTAssertEqual(set.classCounts.max(), 101)
        XCTAssertNotEqual(Array(set.labels.prefix(10)), (0..<10).map(Int32.init), "order is not cyclic")
    }

    /// A nearest-class-mean classifier (linear) fitted on one half and scored on the other must beat
    /// chance clearly, so there is signal, and stay well short of perfect, so the task is not trivial.
    func testLearnableButNotByATemplate() throws {
        let set = try SyntheticImages.generate(count: 2000, channels: 1, side: 28, seed: 3)
        let accuracy = try nearestMeanAccuracy(set)
        XCTAssertGreaterThan(accuracy, 0.15, "chance is 0.1")
        XCTAssertLessThan(accuracy, 0.9)
    }

    /// Fits one mean image per class on the first half and classifies the second half by the nearest mean.
    private func nearestMeanAccuracy(_ set: ImageDataset) throws -> Double {
        let x = try set.floatPixels(normalization: .unitRange)
        let d = set.imageSize, half = set.count / 2
        var means = [Float](repeating: 0, count: 10 * d)
        var counts = [Float](repeating: 0, count: 10)
        for i in 0..<half {
            let k = Int(set.labels[i])
            counts[k] += 1
            for j in 0..<d { means[k * d + j] += x[i * d + j] }
        }
        for k in 0..<10 { for j in 0..<d { means[k * d + j] /= counts[k] } }
        var correct = 0
        for i in half..<set.count {
            var best = 0, bestDistance = Float.infinity
            for k in 0..<10 {
                var distance: Float = 0
                for j in 0..<d {
                    let diff = x[i * d + j] - means[k * d + j]
                    distance += diff * diff
                }
                if distance < bestDistance { (best, bestDistance) = (k, distance) }
            }
            if best == Int(set.labels[i]) { correct += 1 }
        }
        return Double(correct) / Double(set.count - half)
    }

    func testRejectsUnsupportedShapes() {
        XCTAssertThrowsError(try SyntheticImages.generate(count: 10, channels: 2, side: 28, seed: 0))
        XCTAssertThrowsError(try SyntheticImages.generate(count: 10, channels: 1, side: 8, seed: 0))
    }
}
