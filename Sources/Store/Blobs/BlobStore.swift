// The content-addressed blob store: layout of a store folder, opening it, and crash-safe puts.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a put stored: the blob's id and its sizes before and after compression.
public struct BlobInfo: Equatable, Hashable, Sendable {
    /// SHA-256 of the uncompressed bytes, 64 lowercase hex characters.
    public let hash: String
    public let rawBytes: Int64
    public let storedBytes: Int64

    public init(hash: String, rawBytes: Int64, storedBytes: Int64) {
        self.hash = hash
        self.rawBytes = rawBytes
        self.storedBytes = storedBytes
    }
}

/// Blobs identified by the SHA-256 of their uncompressed bytes, each one zstd frame at
/// `root/blobs/ab/cdef….zst`. Puts stream into `root/tmp/`, fsync, rename into place and fsync the
/// folder, so a blob is whole or absent, and concurrent puts of the same content (threads or processes)
/// all succeed. Reads stream, use bounded memory and verify the hash.
///
/// Layout of `root`: `blobs/` (fan-out by the first two hex digits), `tmp/` (puts in progress or
/// left by a crash), `quarantine/` (blobs found corrupt), `lock` (see `StoreLock`). Other files, such
/// as the lineage database, may live beside them.
///
/// With a `remote`, the folder is a cache in front of it (see BlobStoreRemote.swift): a put returns
/// once the blob is in the remote, and a read of a blob not in the folder downloads it first.
public final class BlobStore: Sendable {
    public let root: URL
    /// zstd level used when a put does not name one.
    public let defaultLevel: Int
    /// Where blobs live when the folder is only a cache (S3, a shared folder); nil for a local store.
    public let remote: (any BlobRemote)?
    /// With a remote, the most bytes of blob files the cache keeps (`cache_max:` in a store file):
    /// least recently used ones are evicted (see CacheLimit.swift). Nil: no cap.
    public let cacheLimit: Int64?

    let blobsPath: String
    let tmpPath: String
    let quarantinePath: String
    /// Blobs whose remote copy failed its hash check here: their next put overwrites it.
    let corruptRemoteCopies = CorruptRemoteCopies()
    /// Blobs a read found missing or damaged: not present for `presence` until put again.
    let unusableBlobs = UnusableBlobs()
    /// Blobs the cache cap must not evict now.
    let cacheHolds = CacheHolds()

    private init(root: URL, defaultLevel: Int, remote: (any BlobRemote)?, cacheLimit: Int64?) {
        self.root = root
        self.defaultLevel = defaultLevel
        self.remote = remote
        self.cacheLimit = cacheLimit
        blobsPath = root.appendingPathComponent("blobs").path
        tmpPath = root.appendingPathComponent("tmp").path
        quarantinePath = root.appendingPathComponent("quarantine").path
    }

    /// Opens the store at `root`. A folder is a store when it holds `blobs/`. With `create`, a missing
    /// folder, or one holding only hidden files (such as `.gitkeep`), is made into a store; any other
    /// folder without `blobs/` is refused with `StoreError.notAStore`, so a mistyped path never gets
    /// blob folders scattered into it. With `remote`, `root` is the local cache of that remote tier,
    /// kept to at most `cacheLimit` bytes of blob files if given (a store without a remote keeps its
    /// only copies and ignores it).
    public static func open(root: URL, create: Bool = true, defaultLevel: Int = 3,
                            remote: (any BlobRemote)? = nil, cacheLimit: Int64? = nil) throws -> BlobStore {
        let store = BlobStore(root: root.standardizedFileURL, defaultLevel: defaultLevel, remote: remote, cacheLimit: cacheLimit)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let rootPath = store.root.path
        if fm.fileExists(atPath: rootPath, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StoreError.notAStore(root: rootPath, reason: "it is a file, not a folder")
            }
            if !fm.fileExists(atPath: store.blobsPath) {
                guard create else { throw StoreError.notAStore(root: rootPath, reason: "it has no blobs/ folder") }
                let visible = try fm.contentsOfDirectory(atPath: rootPath).filter { !$0.hasPrefix(".") }
                if !visible.isEmpty {
                    let shown = visible.sorted().prefix(3).joined(separator: ", ")
                    throw StoreError.notAStore(root: rootPath, reason: "it has no blobs/ folder but holds \(shown)")
                }
            }
        } else if !create {
            throw StoreError.notAStore(root: rootPath, reason: "the folder does not exist")
        } else {
            var prefix = ""
            for component in rootPath.split(separator: "/") {
                prefix += "/" + component
                try PosixFile.makeDirectory(prefix)
            }
        }
        for path in [store.blobsPath, store.tmpPath, store.quarantinePath] {
            try PosixFile.makeDirectory(path)
        }
        return store
    }

    // MARK: Puts

    /// Stores `data` and returns its id and sizes.
    @discardableResult
    public func put(_ data: Data, level: Int? = nil) throws -> BlobInfo {
        try put(rawBytes: Int64(data.count), level: level, expectedHash: hashesBeforePut ? Digest.sha256Hex(data) : nil) {
            try $0.write(data)
        }
    }

    /// Stores the bytes `body` writes. Pass `rawBytes` when the size is known: it goes into the zstd
    /// frame header (so `zstd -l` and `info` show it) and a different written count is an error. Without
    /// it the frame header carries no content size; everything else works the same. If `body` throws,
    /// nothing is stored and the error is rethrown. With a remote, the blob is uploaded (unless a fresh
    /// copy is there) before it goes into the cache, and the put fails if the upload does. With
    /// `expectedHash` (the hash of the bytes `body` will write) and an S3 remote, the upload runs while
    /// the bytes are compressed (see `hashesBeforePut`); the object is completed only if the bytes
    /// written do hash to it.
    @discardableResult
    public func put(rawBytes: Int64? = nil, level: Int? = nil, expectedHash: String? = nil,
                    _ body: (BlobWriter) throws -> Void) throws -> BlobInfo {
        let tempPath = tmpPath + "/\(getpid())-\(UUID().uuidString).tmp"
        let file = try PosixFile.openFile(tempPath, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        var closed = false
        var upload: FollowingUpload?
        do {
            upload = try expectedHash.flatMap { try uploadWhileWriting($0, file: tempPath, rawBytes: rawBytes) }
            let writer = BlobWriter(file: file, encoder: try ZstdEncoder(level: level ?? defaultLevel, pledgedBytes: rawBytes),
                                    arrived: upload?.arriving.arrived)
            try body(writer)
            if let declared = rawBytes, declared != writer.bytesWritten {
                throw StoreError.sizeMismatch(declared: declared, written: writer.bytesWritten)
            }
            let hash = try writer.finish()
            if let expectedHash, hash != expectedHash {
                throw StoreError.corrupt(hash: expectedHash, path: tempPath, reason: "the bytes put hash to \(hash),"
                                         + " not to the hash taken of them before the put: they changed during it")
            }
            try file.sync()
            file.closeFile()
            closed = true
            if let upload {
                try upload.finish()
            } else if let remote {
                try publish(tempPath, as: hash, storedBytes: writer.storedBytes, to: remote)
            }
            let stored = try commit(tempPath, as: hash, storedBytes: writer.storedBytes)
            return BlobInfo(hash: hash, rawBytes: writer.bytesWritten, storedBytes: stored)
        } catch {
            if !closed { file.closeFile() }
            let reported = upload?.cancel(error) ?? error
            _ = try? PosixFile.removeFile(tempPath)
            throw reported
        }
    }

    /// Stores the contents of the file at `url`, streaming it.
    @discardableResult
    public func put(fileAt url: URL, level: Int? = nil) throws -> BlobInfo {
        let source = try PosixFile.openFile(url.path, flags: O_RDONLY)
        defer { source.closeFile() }
        let size = try source.size()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 64)
        defer { buffer.deallocate() }
        return try put(rawBytes: size, level: level) { writer in
            while true {
                let n = try source.readSome(into: buffer)
                if n == 0 { break }
                try writer.write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            }
        }
    }

    /// Moves a finished temporary file of `storedBytes` to its blob path, replacing any file already
    /// there. The new file is known whole (just written and hashed); one already in place may be damaged,
    /// and a put is how a recomputed stage repairs it. rename(2) replaces atomically, so concurrent puts
    /// of the same content (at any level) each leave a whole blob, and readers holding the old file open
    /// keep reading it. The new file's modification time is now, so a gc grace period counts from this put;
    /// in a capped cache it is also the most recently used.
    @discardableResult
    func commit(_ tempPath: String, as hash: String, storedBytes: Int64) throws -> Int64 {
        let target = try blobPath(hash)
        let fanOut = (target as NSString).deletingLastPathComponent
        // A gc removing an emptied fan-out folder between mkdir and rename makes rename fail with
        // ENOENT; gc takes the store lock exclusively, but retrying once costs nothing.
        for attempt in 0..<2 {
            let created = try PosixFile.makeDirectory(fanOut)
            if created { try PosixFile.syncDirectory(blobsPath) }
            do {
                try PosixFile.move(tempPath, to: target)
                break
            } catch StoreError.io(_, _, ENOENT) where attempt == 0 {
                continue
            }
        }
        try PosixFile.syncDirectory(fanOut)
        unusableBlobs.remove(hash)
        noteUse(target)
        trimCache()
        return storedBytes
    }

    // MARK: Paths and listing

    /// Size of the read and write buffers: large enough that syscalls and queue hops are noise.
    static let chunkBytes = 1 << 20

    static func isValidHash(_ hash: String) -> Bool {
        hash.utf8.count == 64 && hash.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    func blobPath(_ hash: String) throws -> String {
        guard Self.isValidHash(hash) else { throw StoreError.invalidHash(hash) }
        return "\(blobsPath)/\(remoteBlobName(hash))"
    }

    /// Where the blob `hash` lives (whether or not it is there).
    public func path(of hash: String) throws -> URL {
        URL(fileURLWithPath: try blobPath(hash))
    }

    /// Whether a blob file for `hash` exists in the folder (the cache, for a store with a remote),
    /// without checking its content; see `verify`.
    public func contains(_ hash: String) -> Bool {
        guard let path = try? blobPath(hash) else { return false }
        return PosixFile.exists(path)
    }

    /// The ids of all blobs in the folder (the cache, for a store with a remote), sorted. Files in
    /// `blobs/` that are not named like blobs are ignored.
    public func allHashes() throws -> [String] {
        let fm = FileManager.default
        var hashes: [String] = []
        for fanOut in try fm.contentsOfDirectory(atPath: blobsPath) where fanOut.utf8.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: blobsPath + "/" + fanOut)) ?? []
            where name.hasSuffix(".zst") {
                let hash = fanOut + name.dropLast(4)
                if Self.isValidHash(hash) { hashes.append(hash) }
            }
        }
        return hashes.sorted()
    }
}
