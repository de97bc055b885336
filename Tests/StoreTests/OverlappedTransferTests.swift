// Transfers that overlap the work around them: a read hashes a download while it arrives, a put
// uploads while it compresses; the object still appears only whole and only with the right hash.
import Foundation
import TestSupport
import XCTest
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

final class OverlappedTransferTests: XCTestCase {
    func testAReadDeliversADownloadsFirstBytesBeforeItsLastHaveArrived() throws {
        let shared = try makeScratchFolder()
        let writer = try BlobStore.open(root: makeScratchFolder(), remote: try FolderBlobRemote(folder: shared))
        // The reader takes the file a 1 MiB buffer at a time: half of 8 MiB leaves it several.
        let data = testBytes(8 << 20)
        let hash = try writer.put(data).hash

        let remote = try HalfwayGatedRemote(FolderBlobRemote(folder: shared))
        let reader = try BlobStore.open(root: makeScratchFolder(), remote: remote)
        var received = Data()
        try reader.read(hash) { piece in
            if received.isEmpty { remote.readerGotBytes.signal() }
            received.append(contentsOf: piece)
        }
        XCTAssertEqual(received, data)
        XCTAssertTrue(remote.readerWasAhead, "the reader had bytes while the download waited halfway")
        XCTAssertTrue(reader.contains(hash), "the verified download went into the cache")
        XCTAssertEqual(reader.verifyCached(hash), .intact)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reader.tmpPath).filter { $0.hasSuffix(".tmp") }, [])
    }

    func testAPutUploadsWhileItCompressesAndCompletesTheObjectAtItsEnd() throws {
        let moto = try MotoBucket.start(for: self)
        let store = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        XCTAssertTrue(store.hashesBeforePut)
        let data = testBytes(2_000_000)
        let hash = Digest.sha256Hex(data)
        let key = "blobs/\(hash.prefix(2))/\(hash.dropFirst(2)).zst"
        let client = moto.client()
        var pendingHalfway: [String] = []
        let info = try store.put(rawBytes: Int64(data.count), expectedHash: hash) { writer in
            try writer.write(data.prefix(1_000_000))
            let deadline = Date().addingTimeInterval(30)
            while pendingHalfway.isEmpty && Date() < deadline {
                pendingHalfway = try client.pendingUploads(prefix: "").map(\.key)
                if pendingHalfway.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            }
            XCTAssertEqual(try client.listObjects(prefix: "").objects, [], "no object before the put has all its bytes")
            try writer.write(data.suffix(from: 1_000_000))
        }
        XCTAssertEqual(info.hash, hash)
        XCTAssertEqual(pendingHalfway, [key], "the multipart upload was under way before the last byte was written")
        XCTAssertEqual(try client.getObject(key), try Data(contentsOf: store.path(of: hash)),
                       "the object is exactly the local blob's zstd frame")
        XCTAssertEqual(try client.pendingUploads(prefix: ""), [])
        let reader = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        XCTAssertEqual(try reader.read(hash), data)
    }

    func testAPutWhoseBytesDoNotHashAsExpectedLeavesNoObjectAndNoUpload() throws {
        let moto = try MotoBucket.start(for: self)
        let store = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        let data = testBytes(1_000_000)
        let promised = Digest.sha256Hex(testBytes(1_000_000, seed: 7))
        XCTAssertThrowsError(try store.put(rawBytes: Int64(data.count), expectedHash: promised) { try $0.write(data) }) { error in
            XCTAssertTrue("\(error)".contains("the bytes put hash to \(Digest.sha256Hex(data)), not to the hash taken of them"
                                             + " before the put: they changed during it"), "\(error)")
        }
        XCTAssertEqual(try moto.client().listObjects(prefix: "").objects, [])
        XCTAssertEqual(try moto.client().pendingUploads(prefix: ""), [], "the multipart upload was aborted")
        XCTAssertEqual(try store.allHashes(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [])
    }
}

/// A remote whose download writes the first half of the blob, then waits (up to 10 s) for the reader
/// to say it received bytes before writing the rest.
final class HalfwayGatedRemote: BlobRemote, @unchecked Sendable {
    private let inner: any BlobRemote
    let readerGotBytes = DispatchSemaphore(value: 0)
    private(set) var readerWasAhead = false

    init(_ inner: any BlobRemote) { self.inner = inner }

    var location: String { inner.location }
    func address(of hash: String) -> String { inner.address(of: hash) }
    func head(_ hash: String) throws -> RemoteBlob? { try inner.head(hash) }
    func upload(_ hash: String, from file: URL, storedBytes: Int64) throws {
        try inner.upload(hash, from: file, storedBytes: storedBytes)
    }

    func download(_ hash: String, to file: URL, arrived: (Int64) throws -> Void) throws -> RemoteBlob? {
        let whole = file.appendingPathExtension("whole")
        defer { _ = try? PosixFile.removeFile(whole.path) }
        guard let blob = try inner.download(hash, to: whole, arrived: { _ in }) else { return nil }
        let bytes = try Data(contentsOf: whole)
        let output = try PosixFile.openFile(file.path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        defer { output.closeFile() }
        let half = bytes.count / 2
        try bytes.prefix(half).withUnsafeBytes { try output.writeAll($0) }
        try arrived(Int64(half))
        readerWasAhead = readerGotBytes.wait(timeout: .now() + 10) == .success
        try bytes.suffix(from: half).withUnsafeBytes { try output.writeAll($0) }
        try arrived(Int64(bytes.count))
        return blob
    }

    func delete(_ hash: String, ifVersion version: String?) throws -> Bool { try inner.delete(hash, ifVersion: version) }
    func forEachBlob(_ body: (RemoteBlob) throws -> Void) throws { try inner.forEachBlob(body) }
    func removeAbandonedUploads(olderThan age: TimeInterval) throws -> Int { try inner.removeAbandonedUploads(olderThan: age) }
}
