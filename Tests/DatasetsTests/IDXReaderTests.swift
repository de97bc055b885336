@testable import Datasets
import Foundation
import XCTest
import TestSupport

final class IDXReaderTests: XCTestCase {
    private let names = ["a", "b", "c"]

    func testReadsGzippedImagesAndLabels() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 4, side: 3, labels: [2, 0, 1, 2])
        let images = try write(gzipped(fixture.images), to: dir, "img.gz")
        let labels = try write(gzipped(fixture.labels), to: dir, "lbl.gz")

        let set = try IDXReader.read(imagesFile: images, labelsFile: labels, classNames: names)

        XCTAssertEqual([set.count, set.channels, set.height, set.width], [4, 1, 3, 3])
        XCTAssertEqual(set.labels, [2, 0, 1, 2])
        XCTAssertEqual(set.classNames, names)
        guard case .uint8(let pixels) = set.pixels else { return XCTFail("expected uint8 pixels") }
        XCTAssertEqual(Array(pixels[9..<12]), [7, 8, 9], "image 1 starts at 7")
        XCTAssertEqual(pixels.last, 3 * 7 + 8)
    }

    func testReadsPlainFilesToo() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 2, side: 2, labels: [1, 0])
        let set = try IDXReader.read(imagesFile: write(fixture.images, to: dir, "img"),
                                     labelsFile: write(fixture.labels, to: dir, "lbl"), classNames: names)
        XCTAssertEqual(set.labels, [1, 0])
    }

    func testLabelFileInPlaceOfImagesIsBadMagic() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 2, side: 2, labels: [1, 0])
        let labels = try write(fixture.labels, to: dir, "lbl")
        XCTAssertThrowsError(try IDXReader.read(imagesFile: labels, labelsFile: labels, classNames: names)) {
            XCTAssertEqual($0 as? DatasetError, .badMagic(file: labels, expected: 0x803, found: 0x801))
            XCTAssertTrue("\($0)".contains("0x00000801, expected 0x00000803"), "\($0)")
        }
    }

    func testShortBodyNamesExpectedSize() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 2, side: 2, labels: [1, 0])
        let images = try write(fixture.images.dropLast(), to: dir, "img")
        XCTAssertThrowsError(try IDXReader.read(imagesFile: images,
                                                labelsFile: write(fixture.labels, to: dir, "lbl"),
                                                classNames: names)) {
            XCTAssertTrue("\($0)".contains("should be 24 bytes, but it is 23"), "\($0)")
        }
    }

    func testImageAndLabelCountsMustAgree() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 2, side: 2, labels: [1, 0, 2])
        let images = try write(fixture.images, to: dir, "img"), labels = try write(fixture.labels, to: dir, "lbl")
        XCTAssertThrowsError(try IDXReader.read(imagesFile: images, labelsFile: labels, classNames: names)) {
            XCTAssertEqual($0 as? DatasetError,
                           .countMismatch(images: images, imageCount: 2, labels: labels, labelCount: 3))
        }
    }

    func testLabelOutsideClassesIsRejected() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 2, side: 2, labels: [1, 3])
        XCTAssertThrowsError(try IDXReader.read(imagesFile: write(fixture.images, to: dir, "img"),
                                                labelsFile: write(fixture.labels, to: dir, "lbl"),
                                                classNames: names)) {
            XCTAssertTrue("\($0)".contains("label 3 of item 1"), "\($0)")
        }
    }

    func testTruncatedGzipIsReported() throws {
        let dir = try makeTemporaryDirectory(self)
        let fixture = idxFixture(count: 20, side: 8, labels: [UInt8](repeating: 0, count: 20))
        let compressed = try gzipped(fixture.images)
        let images = try write(compressed.prefix(compressed.count - 12), to: dir, "img.gz")
        XCTAssertThrowsError(try IDXReader.read(imagesFile: images,
                                                labelsFile: write(fixture.labels, to: dir, "lbl"),
                                                classNames: names)) {
            guard case .truncatedGzip(let file, _)? = $0 as? DatasetError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, images)
        }
    }
}
