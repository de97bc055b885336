// A blob store whose folder is a cache in front of a remote tier: puts upload before they return,
// reads download once per machine and verify, damage in the bucket is detected and healed by a put.
import Foundation
import TestSupport
import XCTest
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

final class TieredBlobStoreTests: XCTestCase {
    func testAPutIsInTheBucketWhenItReturnsAndAnotherMachineDownloadsItOnce() throws {
        let moto = try MotoBucket.start(for: self)
        let writer = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        let data = testBytes(300_000)
        let info = try writer.put(data)

        let key = "blobs/\(info.hash.prefix(2))/\(info.hash.dropFirst(2)).zst"
        XCTAssertEqual(try moto.client().getObject(key), try Data(contentsOf: writer.path(of: info.hash)),
                       "the object is exactly the local blob's zstd frame")

        let counting = CountingRemote(try moto.remote())
        let reader = try BlobStore.open(root: makeScratchFolder(), remote: counting)
        XCTAssertFalse(reader.contains(info.hash))
        XCTAssertEqual(try reader.read(info.hash), data)
        XCTAssertTrue(reader.contains(info.hash), "the verified download went into the cache")
        XCTAssertEqual(try reader.read(info.hash), data)
        XCTAssertEqual(reader.verify(info.hash), .intact)
        XCTAssertEqual(try reader.info(info.hash), info)
        XCTAssertEqual(counting.downloads, 1, "downloaded once, then served from the cache")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reader.tmpPath), [])
    }

    func testTensorsRoundTripThroughTheBucket() throws {
        let moto = try MotoBucket.start(for: self)
        let writer = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        let values = (0..<50_000).map { Float($0) * 0.25 }
        let info = try values.withUnsafeBytes {
            try writer.putTensors([TensorSource(name: "w", dtype: .f32, shape: [50_000], bytes: $0)])
        }
        let reader = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        var back = [Float](repeating: 0, count: 50_000)
        try back.withUnsafeMutableBytes { buffer in
            _ = try reader.readTensors(info.hash) { _ in buffer }
        }
        XCTAssertEqual(back, values)
    }

    func testProcessesSharingACacheDownloadABlobOnceAndAllReadIt() throws {
        let moto = try MotoBucket.start(for: self)
        let data = testBytes(400_000)
        let hash = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote()).put(data).hash

        let cache = try makeScratchFolder()
        let counting = CountingRemote(try moto.remote())
        // Separate store objects stand for processes: each read opens its own lock file descriptor.
        let stores = try (0..<4).map { _ in try BlobStore.open(root: cache, remote: counting) }
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            results.set(index, Result { try stores[index].read(hash) })
        }
        for index in 0..<4 { XCTAssertEqual(try results.get(index).get(), data) }
        XCTAssertEqual(counting.downloads, 1)
        XCTAssertEqual(try stores[0].allHashes(), [hash])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: stores[0].tmpPath), [], "no temporary or lock left")
    }

    func testACopyCorruptedInTheBucketIsDetectedOnReadKeptRemotelyAndHealedByTheReadersNextPut() throws {
        let moto = try MotoBucket.start(for: self)
        let writer = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        let data = testBytes(200_000)
        let hash = try writer.put(data).hash
        let key = "blobs/\(hash.prefix(2))/\(hash.dropFirst(2)).zst"
        var damaged = try moto.client().getObject(key)
        damaged[damaged.count / 2] ^= 0x5A
        try moto.client().putObject(key, data: damaged)

        let reader = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        XCTAssertThrowsError(try reader.read(hash)) { error in
            guard case let StoreError.corrupt(corruptHash, path, reason)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(corruptHash, hash)
            XCTAssertEqual(path, "s3://\(moto.bucket)/\(key)")
            XCTAssertTrue(reason.contains("(on 2 downloads)"), reason)
            XCTAssertTrue(reason.contains("the remote copy was left in place"), reason)
        }
        XCTAssertFalse(reader.contains(hash), "a copy that failed its check never enters the cache")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reader.quarantinePath).count, 2,
                       "both downloads are kept for inspection")
        XCTAssertEqual(try moto.client().getObject(key), damaged, "a read never deletes a remote copy")

        // The reader recomputes the stage (here: the same bytes put again); its put overwrites the
        // bad copy although one of the same size is there, so the bucket is whole again.
        try reader.put(data)
        let fresh = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote())
        XCTAssertEqual(try fresh.read(hash), data)
    }

    func testADownloadDamagedOnTheWayIsQuarantinedAndDownloadedAgain() throws {
        let moto = try MotoBucket.start(for: self)
        let data = testBytes(200_000)
        let hash = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote()).put(data).hash
        let proxy = try FaultyProxy(upstream: moto.port, matching: "GET /\(moto.bucket)/blobs", mode: .garbleFirstResponse,
                                    log: try makeScratchFolder().appendingPathComponent("requests.log"), test: self)
        let reader = try BlobStore.open(root: makeScratchFolder(),
                                        remote: try moto.remote(configuration: moto.configuration(endpoint: proxy.endpoint)))
        // A check (what a stage's cache lookup does) downloads again and passes; nothing is deleted.
        XCTAssertEqual(reader.verify(hash), .intact)
        XCTAssertEqual(proxy.requests().filter { $0.hasPrefix("GET") }.count, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reader.quarantinePath).count, 1)
        XCTAssertEqual(try reader.read(hash), data, "from the cache now")
        XCTAssertNotNil(try moto.client().headObject("blobs/\(hash.prefix(2))/\(hash.dropFirst(2)).zst"))
    }

    func testAResumeAnsweredWithTheWholeBodyNeitherFailsTheReadNorDeletesTheObject() throws {
        // The proxy drops the signed Range header, so moto must not check signatures.
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let data = testBytes(200_000)
        let hash = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote()).put(data).hash
        for mode in [FaultyProxy.Mode.cutThenIgnoreRange, .cutThenShortBody] {
            let proxy = try FaultyProxy(upstream: moto.port, matching: "GET /\(moto.bucket)/blobs", mode: mode,
                                        log: try makeScratchFolder().appendingPathComponent("requests.log"), test: self)
            let reader = try BlobStore.open(root: makeScratchFolder(),
                                            remote: try moto.remote(configuration: moto.configuration(endpoint: proxy.endpoint)))
            XCTAssertEqual(try reader.read(hash), data, "\(mode)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reader.quarantinePath), [], "\(mode)")
            XCTAssertNotNil(try moto.client().headObject("blobs/\(hash.prefix(2))/\(hash.dropFirst(2)).zst"), "\(mode)")
        }
    }

    func testAPutReusesAFreshRemoteCopyButUploadsAnOldOneAgain() throws {
        let shared = try FolderBlobRemote(folder: makeScratchFolder().appendingPathComponent("shared"))
        let counting = CountingRemote(shared)
        let store = try BlobStore.open(root: makeScratchFolder(), remote: counting)
        let data = testBytes(10_000)
        let hash = try store.put(data).hash
        try store.put(data)
        XCTAssertEqual(counting.uploads, 1, "a fresh copy of the same size is reused")

        let path = shared.address(of: hash)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -2 * 3600)], ofItemAtPath: path)
        try store.put(data)
        XCTAssertEqual(counting.uploads, 2, "an old copy may be an orphan a gc is about to sweep")
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        XCTAssertLessThan(abs(modified.timeIntervalSinceNow), 60)
    }

    func testAFailedUploadLeavesNothingInTheCacheOrTheBucket() throws {
        let moto = try MotoBucket.start(for: self)
        let log = try makeScratchFolder().appendingPathComponent("log")
        let proxy = try FaultyProxy(upstream: moto.port, matching: "partNumber=2", log: log, test: self)
        let store = try BlobStore.open(root: makeScratchFolder(),
                                       remote: try moto.remote(configuration: moto.configuration(endpoint: proxy.endpoint)))
        let data = testBytes(300_000)
        XCTAssertThrowsError(try store.put(data)) { error in
            XCTAssertEqual((error as? S3Error)?.operation, "UPLOAD PART 2", "\(error)")
        }
        XCTAssertEqual(try store.allHashes(), [], "a put that could not upload is not in the cache either")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [])
        XCTAssertEqual(try moto.client().listObjects(prefix: "").objects, [])
        XCTAssertEqual(try moto.client().pendingUploads(prefix: ""), [])
    }

    func testAnUnreachableRemoteFailsPutsAndReadsOfUncachedBlobsClearly() throws {
        let moto = try MotoBucket.start(for: self)
        let dead = moto.configuration(endpoint: URL(string: "http://127.0.0.1:\(try freePort())")!)
        let store = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote(configuration: dead))
        XCTAssertThrowsError(try store.put(testBytes(1000))) { error in
            XCTAssertTrue("\(error)".hasPrefix("S3 HEAD s3://\(moto.bucket)/blobs/"), "\(error)")
        }
        let absent = Digest.sha256Hex(Data("absent".utf8))
        XCTAssertThrowsError(try store.read(absent)) { error in
            XCTAssertTrue("\(error)".hasPrefix("S3 GET s3://\(moto.bucket)/blobs/"), "\(error)")
        }
        if case .corrupt(let reason) = store.verify(absent) {
            XCTAssertTrue(reason.contains("127.0.0.1"), reason)
        } else {
            XCTFail("an unreadable blob cannot serve as a cached output")
        }
    }

    func testADamagedCacheCopyIsReplacedFromTheRemoteWhenVerified() throws {
        let store = try BlobStore.open(root: makeScratchFolder(), remote: try FolderBlobRemote(folder: makeScratchFolder()))
        let data = testBytes(20_000)
        let hash = try store.put(data).hash
        try flipByte(at: 100, of: store.path(of: hash))
        XCTAssertThrowsError(try store.read(hash), "a read still reports the damage it streamed")
        XCTAssertEqual(store.verify(hash), .intact, "verify (a cache lookup) fetched the remote copy")
        XCTAssertEqual(try store.read(hash), data)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.quarantinePath).count, 1)
    }

    func testABlobNowhereIsMissingNamingBothPlaces() throws {
        let remote = try FolderBlobRemote(folder: makeScratchFolder())
        let store = try BlobStore.open(root: makeScratchFolder(), remote: remote)
        let absent = Digest.sha256Hex(Data("absent".utf8))
        XCTAssertThrowsError(try store.read(absent)) { error in
            guard case let StoreError.missing(_, path)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix(" or \(remote.address(of: absent))"), path)
        }
        XCTAssertEqual(store.verify(absent), .missing)
    }

    func testAFullCacheDiskIsAClearErrorAndLeavesNothingHalfWritten() throws {
        let moto = try MotoBucket.start(for: self)
        let small = try mountSmallDisk(bytes: 1 << 20)
        let data = testBytes(3 << 20)
        let hash = try BlobStore.open(root: makeScratchFolder(), remote: try moto.remote()).put(data).hash

        let store = try BlobStore.open(root: small, remote: try moto.remote())
        XCTAssertThrowsError(try store.read(hash)) { error in
            guard case let StoreError.io(operation, path, code)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(operation, "write")
            XCTAssertEqual(code, ENOSPC)
            XCTAssertTrue(path.hasPrefix(small.path), path)
            XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
        }
        XCTAssertThrowsError(try store.put(testBytes(3 << 20, seed: 7))) { error in
            guard case StoreError.io(_, _, ENOSPC)? = error as? StoreError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.allHashes(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [])
    }

    /// A tmpfs of `bytes` mounted on a fresh folder, unmounted at the end of the test; skips the test
    /// where mounting is not allowed (not root, or no CAP_SYS_ADMIN in a container).
    private func mountSmallDisk(bytes: Int) throws -> URL {
        let folder = try makeScratchFolder()
        let mounted = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", folder.path])
        guard mounted.status == 0 else {
            throw missingService("cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN)")
        }
        addTeardownBlock { _ = try? runProgram("/bin/umount", [folder.path]) }
        return folder
    }
}

/// A remote that counts the uploads and downloads passing through to the real one.
final class CountingRemote: BlobRemote, @unchecked Sendable {
    private let inner: any BlobRemote
    private let lock = NSLock()
    private var counts = (uploads: 0, downloads: 0)

    init(_ inner: any BlobRemote) { self.inner = inner }

    var uploads: Int { lock.withLock { counts.uploads } }
    var downloads: Int { lock.withLock { counts.downloads } }

    var location: String { inner.location }
    func address(of hash: String) -> String { inner.address(of: hash) }
    func head(_ hash: String) throws -> RemoteBlob? { try inner.head(hash) }
    func upload(_ hash: String, from file: URL, storedBytes: Int64) throws {
        lock.withLock { counts.uploads += 1 }
        try inner.upload(hash, from: file, storedBytes: storedBytes)
    }
    func download(_ hash: String, to file: URL, arrived: (Int64) throws -> Void) throws -> RemoteBlob? {
        lock.withLock { counts.downloads += 1 }
        return try inner.download(hash, to: file, arrived: arrived)
    }
    func delete(_ hash: String, ifVersion version: String?) throws -> Bool { try inner.delete(hash, ifVersion: version) }
    func forEachBlob(_ body: (RemoteBlob) throws -> Void) throws { try inner.forEachBlob(body) }
    func removeAbandonedUploads(olderThan age: TimeInterval) throws -> Int { try inner.removeAbandonedUploads(olderThan: age) }
}

/// Results written from concurrent iterations.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Result<Data, Error>] = [:]
    func set(_ index: Int, _ result: Result<Data, Error>) { lock.withLock { results[index] = result } }
    func get(_ index: Int) -> Result<Data, Error> { lock.withLock { results[index]! } }
}
