@testable import Datasets
import XCTest
import TestSupport

/// Reads the real Fashion-MNIST files installed by Debian's `dataset-fashion-mnist`, when present.
final class DataFashionMNISTTests: XCTestCase {
    private let directory = DataSource.fashionMNISTDebianDirectory

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: directory),
                          "\(directory) is absent: apt-get install dataset-fashion-mnist to run this test")
    }

    func testDebianCopyReadsWithExpectedCountsAndBalancedLabels() throws {
        let (train, test) = try FashionMNIST.read(directory: directory)

        XCTAssertEqual([train.count, train.channels, train.height, train.width], [60_000, 1, 28, 28])
        XCTAssertEqual(test.count, 10_000)
        // Fashion-MNIST is exactly balanced: 6,000 train and 1,000 test images per class.
        XCTAssertEqual(train.classCounts, [Int](repeating: 6_000, count: 10))
        XCTAssertEqual(test.classCounts, [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(train.classNames[9], "Ankle boot")
    }

    /// With the publisher unreachable (here: a local port nothing listens on), the four files come from
    /// the Debian copy and match the recorded SHA-256 of their decompressed content.
    func testUnreachablePublisherFallsBackToDebianCopy() throws {
        let out = try makeTemporaryDirectory(self)
        let source = DataSource.fashionMNIST(baseURL: URL(string: "http://127.0.0.1:\(try freePort())/")!)

        let paths = try Downloader(attempts: 1).fetch(source, into: out)

        XCTAssertEqual(paths.map { ($0 as NSString).lastPathComponent },
                       [FashionMNIST.trainImages, FashionMNIST.trainLabels, FashionMNIST.testImages,
                        FashionMNIST.testLabels])
        XCTAssertEqual(try FashionMNIST.read(directory: out).test.count, 10_000)
    }
}
