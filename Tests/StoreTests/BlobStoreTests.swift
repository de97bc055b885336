import Foundation
import XCTest
@testable import Store

final class BlobStoreTests: XCTestCase {
    func testPutThenReadGivesTheSameBytesUnderTheirSHA256() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let data = testBytes(3_000_000)
        let info = try store.put(data)
        XCTAssertEqual(info.hash, Digest.sha256Hex(data))
        XCTAssertEqual(info.rawBytes, 3_000_000)
        XCTAssertEqual(try store.read(info.hash), data)
        XCTAssertEqual(try store.info(info.hash), info)
        XCTAssertTrue(store.contains(info.hash))
        XCTAssertEqual(store.verify(info.hash), .intact)
        let path = try store.path(of: info.hash).path
        XCTAssertTrue(path.hasSuffix("/blobs/\(info.hash.prefix(2))/\(info.hash.dropFirst(2)).zst"), path)
    }

    func testPuttingExistingContentAgainReplacesTheFile() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let data = Data(repeating: 1, count: 100_000) + testBytes(100_000)
        let first = try store.put(data, level: 1)
        let path = try store.path(of: first.hash).path
        let old = Date(timeIntervalSinceNow: -86_400)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
        let again = try store.put(data, level: 19)
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        XCTAssertGreaterThan(modified, old.addingTimeInterval(3600), "a repeated put freshens the blob for gc's grace period")
        XCTAssertEqual(again.hash, first.hash)
        XCTAssertNotEqual(again.storedBytes, first.storedBytes, "levels 1 and 19 give different files")
        XCTAssertEqual(Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int), again.storedBytes,
                       "the level-19 file replaced the level-1 one")
        XCTAssertEqual(try store.read(first.hash), data)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [])
    }

    func testEmptyAndCompressibleBlobs() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let empty = try store.put(Data())
        XCTAssertEqual(empty.hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(try store.read(empty.hash), Data())
        let zeros = try store.put(Data(count: 1 << 20))
        XCTAssertLessThan(zeros.storedBytes, 1000, "a MiB of zeros should compress to almost nothing")
    }

    func testZstdCommandLineDecompressesABlobToTheOriginalBytes() throws {
        let folder = try makeScratchFolder()
        let store = try BlobStore.open(root: folder.appendingPathComponent("artifacts"))
        let data = testBytes(200_000) + Data(repeating: 7, count: 100_000)
        let info = try store.put(data, level: 9)
        let out = try runProgram("/usr/bin/zstd", ["-d", "-c", try store.path(of: info.hash).path])
        XCTAssertEqual(out.status, 0)
        XCTAssertEqual(out.output, data)
        // The frame header carries the content size, so `zstd -l` can show it without decompressing.
        let list = try runProgram("/usr/bin/zstd", ["-lv", try store.path(of: info.hash).path])
        XCTAssertTrue(String(decoding: list.output, as: UTF8.self).contains("300000 B"),
                      String(decoding: list.output, as: UTF8.self))
    }

    func testZstdWorkersCompressOnlyLargeBlobsAndOnlyWithASecondCore() {
        XCTAssertEqual(ZstdEncoder.workers(forBytes: 64 << 20, cores: 2), 2)
        XCTAssertEqual(ZstdEncoder.workers(forBytes: 64 << 20, cores: 16), 4)
        XCTAssertEqual(ZstdEncoder.workers(forBytes: nil, cores: 2), 2, "an unknown size may be large")
        XCTAssertEqual(ZstdEncoder.workers(forBytes: (64 << 20) - 1, cores: 2), 0)
        XCTAssertEqual(ZstdEncoder.workers(forBytes: 64 << 20, cores: 1), 0)
    }

    /// On a machine with more than one core the encoder compresses this blob on worker threads
    /// (the rule above); on one core it is the same test of a large streamed put.
    func testALargeBlobIsOneFrameWithItsSizeWhoeverCompressesIt() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let size: Int64 = 64 << 20
        let block = testBytes(1 << 20, seed: 5)
        var hasher = Digest()
        for _ in 0..<64 { hasher.update(block) }
        let expected = hasher.finalize()
        let info = try store.put(rawBytes: size) { writer in
            for _ in 0..<64 { try writer.write(block) }
        }
        XCTAssertEqual(info.hash, expected)
        let list = try runProgram("/usr/bin/zstd", ["-lv", try store.path(of: info.hash).path])
        let text = String(decoding: list.output, as: UTF8.self)
        XCTAssertTrue(text.contains("# Zstandard Frames: 1"), text)
        XCTAssertTrue(text.contains("\(size) B"), text)
        XCTAssertEqual(store.verify(info.hash), .intact)
    }

    func testStreamingPutMatchesWholePutAndEnforcesDeclaredSize() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let data = testBytes(500_000)
        let streamed = try store.put { writer in
            for start in stride(from: 0, to: data.count, by: 70_001) {
                try writer.write(data[start..<min(start + 70_001, data.count)])
            }
        }
        XCTAssertEqual(streamed.hash, Digest.sha256Hex(data))
        XCTAssertEqual(try store.read(streamed.hash), data)
        XCTAssertThrowsError(try store.put(rawBytes: 10) { try $0.write(Data(count: 9)) }) { error in
            XCTAssertEqual(error as? StoreError, .sizeMismatch(declared: 10, written: 9))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [],
                       "a failed put leaves no temporary file")
    }

    func testPutFileAndExport() throws {
        let folder = try makeScratchFolder()
        let store = try BlobStore.open(root: folder.appendingPathComponent("store"))
        let source = folder.appendingPathComponent("source.bin")
        let data = testBytes(2_500_000, seed: 42)
        try data.write(to: source)
        let info = try store.put(fileAt: source)
        let copy = folder.appendingPathComponent("copy.bin")
        try store.export(info.hash, to: copy)
        XCTAssertEqual(try Data(contentsOf: copy), data)
    }

    func testStreamingReadDeliversBoundedChunksInOrder() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let data = testBytes(5_000_000, seed: 3)
        let hash = try store.put(data).hash
        var received = Data()
        var largest = 0
        let count = try store.read(hash) { chunk in
            largest = max(largest, chunk.count)
            received.append(contentsOf: chunk)
        }
        XCTAssertEqual(count, 5_000_000)
        XCTAssertEqual(received, data)
        XCTAssertLessThanOrEqual(largest, 1 << 20)
    }

    func testFlippedByteIsReportedWithHashAndPathThenQuarantined() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let hash = try store.put(testBytes(400_000)).hash
        let path = try store.path(of: hash)
        try flipByte(at: 200_000, of: path)
        XCTAssertThrowsError(try store.read(hash)) { error in
            guard case let .corrupt(badHash, badPath, _)? = error as? StoreError else {
                return XCTFail("expected corrupt, got \(error)")
            }
            XCTAssertEqual(badHash, hash)
            XCTAssertEqual(badPath, path.path)
        }
        guard case .corrupt = store.verify(hash) else { return XCTFail("verify missed a flipped byte") }
        let moved = try store.quarantine(hash)
        XCTAssertFalse(store.contains(hash))
        XCTAssertEqual(store.verify(hash), .missing)
        XCTAssertTrue(FileManager.default.fileExists(atPath: moved.path))
        XCTAssertEqual(moved.deletingLastPathComponent().lastPathComponent, "quarantine")
    }

    func testTruncatedBlobIsCorrupt() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let hash = try store.put(testBytes(400_000)).hash
        let path = try store.path(of: hash)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path.path)
        let handle = try FileHandle(forWritingTo: path)
        try handle.truncate(atOffset: 1000)
        try handle.close()
        guard case let .corrupt(reason) = store.verify(hash) else { return XCTFail("verify missed truncation") }
        XCTAssertTrue(reason.contains("truncated"), reason)
    }

    func testMissingAndMalformedHashes() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let absent = String(repeating: "ab", count: 32)
        XCTAssertEqual(store.verify(absent), .missing)
        XCTAssertThrowsError(try store.read(absent)) { error in
            guard case .missing(absent, _)? = error as? StoreError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try store.read("../../etc/passwd")) { error in
            XCTAssertEqual(error as? StoreError, .invalidHash("../../etc/passwd"))
        }
    }

    func testListAndRemove() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let a = try store.put(Data("a".utf8)).hash
        let b = try store.put(Data("b".utf8)).hash
        XCTAssertEqual(try store.allHashes(), [a, b].sorted())
        XCTAssertTrue(try store.remove(a))
        XCTAssertFalse(try store.remove(a))
        XCTAssertEqual(try store.allHashes(), [b])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.blobsPath + "/" + a.prefix(2)),
                       "an emptied fan-out folder is removed")
    }

    func testOpenRecognisesWhatIsAndIsNotAStore() throws {
        let folder = try makeScratchFolder()
        let missing = folder.appendingPathComponent("nothing-here")
        XCTAssertThrowsError(try BlobStore.open(root: missing, create: false))
        _ = try BlobStore.open(root: missing)
        _ = try BlobStore.open(root: missing, create: false)

        let withGitkeep = folder.appendingPathComponent("artifacts")
        try FileManager.default.createDirectory(at: withGitkeep, withIntermediateDirectories: true)
        try Data().write(to: withGitkeep.appendingPathComponent(".gitkeep"))
        XCTAssertNoThrow(try BlobStore.open(root: withGitkeep))

        let documents = folder.appendingPathComponent("documents")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: documents.appendingPathComponent("letter.txt"))
        XCTAssertThrowsError(try BlobStore.open(root: documents)) { error in
            guard case .notAStore? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("letter.txt"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: documents.appendingPathComponent("blobs").path))
    }

    func testStaleTemporariesAreRemovedAfterTheGracePeriod() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let stale = store.tmpPath + "/123-dead.tmp"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: stale))
        XCTAssertEqual(try store.removeStaleTemporaries(olderThan: 3600), 0)
        XCTAssertEqual(try store.removeStaleTemporaries(olderThan: 0), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
    }

    func testExclusiveLockIsRefusedWhileSharedIsHeld() throws {
        let root = try makeScratchFolder()
        let run = try StoreLock(root: root, mode: .shared)
        let otherRun = try StoreLock(root: root, mode: .shared)
        XCTAssertThrowsError(try StoreLock(root: root, mode: .exclusive)) { error in
            XCTAssertEqual(error as? StoreError, .busy(root: root.path))
            XCTAssertTrue("\(error)".contains("another tlab process is using the store at"))
        }
        run.release()
        otherRun.release()
        let gc = try StoreLock(root: root, mode: .exclusive)
        XCTAssertThrowsError(try StoreLock(root: root, mode: .shared))
        gc.release()
    }
}
