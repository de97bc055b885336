import XCTest
@testable import Pipeline

/// Reads the real Fashion-MNIST files installed by Debian's `dataset-fashion-mnist`, when present.
final class DataFashionMNISTTests: XCTestCase {
    func testDebianCopyReadsWithExpectedCountsAndBalancedLabels() throws {
        let directory = DataSource.fashionMNISTDebianDirectory
        try XCTSkipUnless(FileManager.default.fileExists(atPath: directory),
                          "\(directory) is absent: apt-get install dataset-fashion-mnist to run this test")

        let (train, test) = try FashionMNIST.read(directory: directory)

        XCTAssertEqual([train.count, train.channels, train.height, train.width], [60_000, 1, 28, 28])
        XCTAssertEqual(test.count, 10_000)
        // Fashion-MNIST is exactly balanced: 6,000 train and 1,000 test images per class.
        XCTAssertEqual(train.classCounts, [Int](repeating: 6_000, count: 10))
        XCTAssertEqual(test.classCounts, [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(train.classNames[9], "Ankle boot")
    }
}
