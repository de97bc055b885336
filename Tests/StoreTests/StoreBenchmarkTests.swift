import Foundation
import XCTest
@testable import Store

final class StoreBenchmarkTests: XCTestCase {
    func testBenchmarkDataLooksLikeTrainedWeightsNotZeros() {
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: 100_000)
        defer { values.deallocate() }
        StoreBenchmark.fillNormalish(values)
        let mean = values.reduce(0, +) / Float(values.count)
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(deviation, 0.05, accuracy: 0.002)
    }

    func testBenchmarkTimesEveryRunAndReportsTheCompressionOfFloatNoise() throws {
        let result = try StoreBenchmark.run(byteCount: 4 << 20, level: 3, runs: 2, scratch: try makeScratchFolder())
        XCTAssertEqual(result.putSeconds.count, 2)
        XCTAssertEqual(result.readSeconds.count, 2)
        XCTAssertTrue(result.putMBps.allSatisfy { $0 > 0 } && result.readMBps.allSatisfy { $0 > 0 })
        // Float noise barely compresses (about 1.1x); much more would mean the data is too regular.
        XCTAssertGreaterThan(result.compressionRatio, 1.0)
        XCTAssertLessThan(result.compressionRatio, 1.3)
    }
}
