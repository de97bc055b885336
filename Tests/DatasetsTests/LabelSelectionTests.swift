@testable import Datasets
import XCTest

/// The rules preprocess cuts a data set by, decided from the labels alone.
final class LabelSelectionTests: XCTestCase {
    /// 100 images: image i has label i mod 10.
    private let labels = (0..<100).map { Int32($0 % 10) }

    private func classCounts(_ positions: [Int]) -> [Int] {
        var counts = [Int](repeating: 0, count: 10)
        for i in positions { counts[Int(labels[i])] += 1 }
        return counts
    }

    func testClassSubsetRelabelsByPositionAndKeepsOrder() throws {
        let (positions, newLabels) = try LabelSelection.selecting(classes: [5, 6, 7, 8, 9], of: labels, classCount: 10)
        XCTAssertEqual(positions.count, 50)
        XCTAssertEqual(Array(positions.prefix(6)), [5, 6, 7, 8, 9, 15])
        XCTAssertEqual(Array(newLabels.prefix(6)), [0, 1, 2, 3, 4, 0])
    }

    func testClassSubsetRejectsUnknownAndRepeatedClasses() {
        XCTAssertThrowsError(try LabelSelection.selecting(classes: [3, 10], of: labels, classCount: 10)) {
            XCTAssertTrue("\($0)".contains("class 10 does not exist; valid classes are 0...9"), "\($0)")
        }
        XCTAssertThrowsError(try LabelSelection.selecting(classes: [3, 3], of: labels, classCount: 10)) {
            XCTAssertTrue("\($0)".contains("without repeats"), "\($0)")
        }
    }

    func testPerClassLimitIsASeededSampleInDataSetOrder() throws {
        let a = try LabelSelection.limiting(labels, classCount: 10, perClass: 3, seed: 1)
        XCTAssertEqual(classCounts(a), [Int](repeating: 3, count: 10))
        XCTAssertEqual(try LabelSelection.limiting(labels, classCount: 10, perClass: 3, seed: 1), a, "same seed, same sample")
        XCTAssertNotEqual(try LabelSelection.limiting(labels, classCount: 10, perClass: 3, seed: 2), a,
                          "another seed, another sample")
        XCTAssertEqual(a, a.sorted(), "kept images stay in data set order")
        XCTAssertThrowsError(try LabelSelection.limiting(labels, classCount: 10, perClass: 0, seed: 1))
    }

    func testStratifiedSplitIsSeededAndDisjoint() throws {
        let (kept, heldOut) = try LabelSelection.splitting(labels, classCount: 10, fraction: 0.2, seed: 7)
        XCTAssertEqual(classCounts(heldOut), [Int](repeating: 2, count: 10))
        XCTAssertEqual(classCounts(kept), [Int](repeating: 8, count: 10))
        XCTAssertEqual(Set(kept).union(heldOut).count, 100, "together they are the whole set")
        XCTAssertTrue(Set(kept).isDisjoint(with: heldOut))
        XCTAssertEqual(try LabelSelection.splitting(labels, classCount: 10, fraction: 0.2, seed: 7).heldOut, heldOut)
        XCTAssertNotEqual(try LabelSelection.splitting(labels, classCount: 10, fraction: 0.2, seed: 8).heldOut, heldOut)
        XCTAssertThrowsError(try LabelSelection.splitting(labels, classCount: 10, fraction: 1, seed: 7))
    }
}
