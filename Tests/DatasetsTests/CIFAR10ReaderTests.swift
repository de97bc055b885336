@testable import Datasets
import Foundation
import XCTest
import TestSupport

final class CIFAR10ReaderTests: XCTestCase {
    /// A CIFAR-format archive with one record per training batch plus one extra in batch 1, and two
    /// test records; every pixel of a record equals its `fill` byte.
    private func archive(in dir: String, meta: String? = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n",
                         dropping: String? = nil) throws -> String {
        var files: [(String, Data)] = CIFAR10Reader.trainBatches.enumerated().map { index, name in
            let records = index == 0 ? [(UInt8(3), UInt8(10)), (9, 11)] : [(UInt8(index), UInt8(20 + index))]
            return ("cifar-10-batches-bin/" + name, cifarRecords(records))
        }
        files.append(("cifar-10-batches-bin/test_batch.bin", cifarRecords([(7, 100), (0, 101)])))
        if let meta { files.append(("cifar-10-batches-bin/batches.meta.txt", Data(meta.utf8))) }
        files.removeAll { $0.0.hasSuffix(dropping ?? "\u{0}") }
        return try tarGz(files, in: dir, named: "cifar-10-binary.tar.gz")
    }

    func testReadsTrainAndTestBatchesFromTarball() throws {
        let path = try archive(in: makeTemporaryDirectory(self))

        let (train, test) = try CIFAR10Reader.read(archive: path)

        XCTAssertEqual(train.labels, [3, 9, 1, 2, 3, 4])
        XCTAssertEqual(test.labels, [7, 0])
        XCTAssertEqual([train.channels, train.height, train.width], [3, 32, 32])
        XCTAssertEqual(train.classNames, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
        guard case .uint8(let pixels) = train.pixels else { return XCTFail("expected uint8 pixels") }
        XCTAssertEqual(pixels.count, 6 * 3072)
        XCTAssertEqual([pixels[0], pixels[3071], pixels[3072], pixels[5 * 3072]], [10, 10, 11, 24])
    }

    func testStandardClassNamesWithoutMetaFile() throws {
        let path = try archive(in: makeTemporaryDirectory(self), meta: nil)
        XCTAssertEqual(try CIFAR10Reader.read(archive: path).test.classNames, CIFAR10Reader.classNames)
    }

    func testMissingBatchIsNamed() throws {
        let path = try archive(in: makeTemporaryDirectory(self), dropping: "data_batch_4.bin")
        XCTAssertThrowsError(try CIFAR10Reader.read(archive: path)) {
            guard case .missingEntry(_, let entry, let present)? = $0 as? DatasetError else { return XCTFail("\($0)") }
            XCTAssertEqual(entry, "cifar-10-batches-bin/data_batch_4.bin")
            XCTAssertTrue(present.contains("cifar-10-batches-bin/data_batch_5.bin"))
        }
    }

    func testShortRecordIsReported() throws {
        let short = cifarRecords([(1, 1), (2, 2)]).dropLast(5)
        XCTAssertThrowsError(try CIFAR10Reader.read(batches: [("b.bin", Data(short))])) {
            XCTAssertTrue("\($0)".contains("b.bin: 6141 bytes is not a whole number of 3073-byte records"), "\($0)")
        }
    }

    func testLabelAboveNineIsReported() throws {
        XCTAssertThrowsError(try CIFAR10Reader.read(batches: [("b.bin", cifarRecords([(1, 1), (12, 2)]))])) {
            XCTAssertTrue("\($0)".contains("record 1 has label 12"), "\($0)")
        }
    }

    func testCorruptGzipIsReported() throws {
        let dir = try makeTemporaryDirectory(self)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive(in: dir)))
        for i in 40..<80 { bytes[i] ^= 0x5A }
        let path = try write(bytes, to: dir, "corrupt.tar.gz")
        XCTAssertThrowsError(try CIFAR10Reader.read(archive: path)) {
            guard case .corruptGzip(let file, _)? = $0 as? DatasetError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, path)
        }
    }

    func testNotGzipAtAll() throws {
        let path = try write(Data("plain text".utf8), to: makeTemporaryDirectory(self), "x.tar.gz")
        XCTAssertThrowsError(try CIFAR10Reader.read(archive: path)) {
            XCTAssertTrue("\($0)".contains("not a valid gzip file"), "\($0)")
        }
    }

    func testTarEntryRunningPastTheEndIsTruncatedArchive() throws {
        let dir = try makeTemporaryDirectory(self)
        let tar = try Gzip.decompress(fileAt: archive(in: dir))
        XCTAssertThrowsError(try TarArchive(tar.prefix(512 + 100), name: "cut.tar")) {
            XCTAssertTrue("\($0)".contains("truncated archive"), "\($0)")
        }
    }

    func testTarHeaderChecksumIsChecked() throws {
        let dir = try makeTemporaryDirectory(self)
        var tar = try Gzip.decompress(fileAt: archive(in: dir))
        tar[10] ^= 1
        XCTAssertThrowsError(try TarArchive(tar, name: "bad.tar")) {
            XCTAssertTrue("\($0)".contains("checksum"), "\($0)")
        }
    }

    func testLongPathsInUstarAndGNUArchives() throws {
        let dir = try makeTemporaryDirectory(self)
        let long = String(repeating: "d", count: 60) + "/" + String(repeating: "f", count: 70) + ".bin"
        for format in ["ustar", "gnu"] {
            let path = try tarGz([("short.txt", Data("s".utf8)), (long, Data("l".utf8))], in: dir,
                                 named: "\(format).tar.gz", format: format)
            let tar = try TarArchive(Gzip.decompress(fileAt: path), name: path)
            XCTAssertEqual(tar.files.map(\.path), ["short.txt", long], format)
            XCTAssertEqual(tar.contents(of: long), Data("l".utf8), format)
        }
    }

    func testGzipMembersConcatenate() throws {
        let joined = try gzipped(Data("hello ".utf8)) + gzipped(Data("world".utf8))
        XCTAssertEqual(try Gzip.decompress(joined, name: "two.gz"), Data("hello world".utf8))
    }
}
