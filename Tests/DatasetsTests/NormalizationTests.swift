@testable import Datasets
import Foundation
import XCTest

final class NormalizationTests: XCTestCase {
    private func numbered() throws -> ImageDataset {
        try ImageDataset(channels: 1, height: 1, width: 1, pixels: .uint8((0..<100).map { UInt8($0) }),
                         labels: (0..<100).map { Int32($0 % 10) }, classNames: (0..<10).map { "c\($0)" })
    }

    func testStatisticsNormaliseToZeroMeanUnitStd() throws {
        let set = try ImageDataset(channels: 2, height: 1, width: 2, pixels: .uint8([0, 255, 10, 10, 255, 0, 30, 30]),
                                   labels: [0, 0], classNames: ["x"])
        let stats = try set.channelStatistics()
        XCTAssertEqual(stats.mean[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(stats.std[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(stats.mean[1], 20 / 255, accuracy: 1e-6)
        let x = try set.floatPixels(normalization: stats)
        XCTAssertEqual(x[0], -1, accuracy: 1e-5)
        XCTAssertEqual(x[1], 1, accuracy: 1e-5)
        XCTAssertEqual(x[2], -1, accuracy: 1e-5, "channel 1: 10 is one std below its mean 20")
    }

    func testImageNetNormalisationAndItsChannelCheck() throws {
        let rgb = try ImageDataset(channels: 3, height: 1, width: 1, pixels: .uint8([255, 0, 51]),
                                   labels: [0], classNames: ["x"])
        let x = try rgb.normalized(by: .imageNet)
        guard case .float32(let v) = x.pixels else { return XCTFail("expected float pixels") }
        XCTAssertEqual(v[0], (1 - 0.485) / 0.229, accuracy: 1e-5)
        XCTAssertEqual(v[1], -0.456 / 0.224, accuracy: 1e-5)
        XCTAssertEqual(v[2], (0.2 - 0.406) / 0.225, accuracy: 1e-5)
        XCTAssertEqual(try rgb.floatPixels(normalization: .none), [255, 0, 51])
        XCTAssertThrowsError(try numbered().floatPixels(normalization: .imageNet)) {
            XCTAssertTrue("\($0)".contains("expand grayscale to 3 channels first"), "\($0)")
        }
    }

    func testNormalisationRoundTripsThroughJSONAndIsValidatedOnDecode() throws {
        let json = try JSONEncoder().encode(Normalization.imageNet)
        XCTAssertEqual(try JSONDecoder().decode(Normalization.self, from: json), .imageNet)
        let zeroStd = Data(#"{"scale": 1, "mean": [0], "std": [0]}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(Normalization.self, from: zeroStd)) {
            XCTAssertTrue("\($0)".contains("must be positive"), "\($0)")
        }
    }

    func testInconsistentShapesAreRejected() {
        XCTAssertThrowsError(try ImageDataset(channels: 1, height: 2, width: 2, pixels: .uint8([1, 2, 3]),
                                              labels: [0], classNames: ["x"]))
        XCTAssertThrowsError(try ImageDataset(channels: 1, height: 1, width: 1, pixels: .uint8([1]),
                                              labels: [1], classNames: ["x"]))
    }
}
