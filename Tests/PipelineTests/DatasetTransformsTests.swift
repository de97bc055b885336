import Foundation
import XCTest
@testable import Pipeline

final class DatasetTransformsTests: XCTestCase {
    /// 100 one-pixel images: image i has pixel value i and label i mod 10, classes named c0…c9.
    private func numbered(channels: Int = 1) throws -> ImageDataset {
        try ImageDataset(channels: channels, height: 1, width: 1,
                         pixels: .uint8((0..<100).flatMap { [UInt8](repeating: UInt8($0), count: channels) }),
                         labels: (0..<100).map { Int32($0 % 10) }, classNames: (0..<10).map { "c\($0)" })
    }

    private func values(_ set: ImageDataset) -> [UInt8] {
        guard case .uint8(let p) = set.pixels else { return [] }
        return p
    }

    func testClassSubsetRelabelsAndKeepsNames() throws {
        let target = try numbered().selectingClasses([5, 6, 7, 8, 9])
        XCTAssertEqual(target.classNames, ["c5", "c6", "c7", "c8", "c9"])
        XCTAssertEqual(target.count, 50)
        XCTAssertEqual(Array(target.labels.prefix(6)), [0, 1, 2, 3, 4, 0])
        XCTAssertEqual(Array(values(target).prefix(6)), [5, 6, 7, 8, 9, 15])
    }

    func testClassSubsetRejectsUnknownClass() throws {
        XCTAssertThrowsError(try numbered().selectingClasses([3, 10])) {
            XCTAssertTrue("\($0)".contains("class 10 does not exist; valid classes are 0...9"), "\($0)")
        }
    }

    func testPerClassLimitIsASeededSample() throws {
        let set = try numbered()
        let a = try set.limitingPerClass(3, seed: 1)
        XCTAssertEqual(a.classCounts, [Int](repeating: 3, count: 10))
        XCTAssertEqual(try set.limitingPerClass(3, seed: 1), a, "same seed, same sample")
        XCTAssertNotEqual(try set.limitingPerClass(3, seed: 2), a, "another seed, another sample")
        XCTAssertEqual(values(a), values(a).sorted(), "kept images stay in data set order")
        XCTAssertEqual(zip(values(a), a.labels).filter { Int($0) % 10 != Int($1) }.count, 0,
                       "labels travel with their images")
    }

    func testStratifiedSplitIsSeededAndDisjoint() throws {
        let set = try numbered()
        let (train, validation) = try set.split(validationFraction: 0.2, seed: 7)
        XCTAssertEqual(validation.classCounts, [Int](repeating: 2, count: 10))
        XCTAssertEqual(train.classCounts, [Int](repeating: 8, count: 10))
        XCTAssertEqual(Set(values(train)).union(values(validation)).count, 100, "together they are the whole set")
        let again = try set.split(validationFraction: 0.2, seed: 7)
        XCTAssertEqual(again.validation, validation)
        XCTAssertNotEqual(try set.split(validationFraction: 0.2, seed: 8).validation, validation)
    }

    func testGrayscaleToRGBCopiesThePlane() throws {
        let set = try ImageDataset(channels: 1, height: 1, width: 2, pixels: .uint8([1, 2, 3, 4]),
                                   labels: [0, 1], classNames: ["x", "y"])
        let rgb = try set.expandingGrayscaleToRGB()
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(values(rgb), [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
        XCTAssertThrowsError(try rgb.expandingGrayscaleToRGB())
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
