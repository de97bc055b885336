// A remote tier in a local folder, so the tiered store's cache, gc and verify are tested without an
// S3 server. tlab itself opens a shared-folder `blobs:` as a blob store of its own (BlobLocation), so
// this double lives with the tests.
import Foundation
@testable import Store
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blobs in `folder/ab/cdef….zst`. Point it at another store's `blobs/` folder to share that store's
/// blobs. Uploads go to a hidden temporary file in the blob's fan-out folder and are renamed into place
/// (atomic on NFS too), so a reader on any machine sees a whole blob or none.
final class FolderBlobRemote: BlobRemote {
    let folder: URL

    /// Opens (creating if needed) the folder.
    init(folder: URL) throws {
        self.folder = folder.standardizedFileURL
        var prefix = ""
        for component in self.folder.path.split(separator: "/") {
            prefix += "/" + component
            try PosixFile.makeDirectory(prefix)
        }
    }

    var location: String { folder.path }

    func address(of hash: String) -> String { "\(folder.path)/\(remoteBlobName(hash))" }

    func head(_ hash: String) throws -> RemoteBlob? {
        try Self.describe(hash, at: address(of: hash))
    }

    func upload(_ hash: String, from file: URL, storedBytes: Int64) throws {
        let target = address(of: hash)
        let fanOut = (target as NSString).deletingLastPathComponent
        if try PosixFile.makeDirectory(fanOut) { try PosixFile.syncDirectory(folder.path) }
        let temporary = "\(fanOut)/.\(hash.dropFirst(2)).\(getpid())-\(UUID().uuidString).tmp"
        do {
            try Self.copy(file.path, to: temporary)
            try PosixFile.move(temporary, to: target)
        } catch {
            _ = try? PosixFile.removeFile(temporary)
            throw error
        }
        try PosixFile.syncDirectory(fanOut)
    }

    func download(_ hash: String, to file: URL, arrived: (Int64) throws -> Void) throws -> RemoteBlob? {
        let source = address(of: hash)
        // Described before the copy: the version names what was read, or something older.
        guard let blob = try Self.describe(hash, at: source) else { return nil }
        let copied: Int64
        do {
            copied = try Self.copy(source, to: file.path, sync: false)
        } catch StoreError.io(_, _, ENOENT) {
            return nil
        }
        try arrived(copied)
        return blob
    }

    @discardableResult
    func delete(_ hash: String, ifVersion version: String?) throws -> Bool {
        let path = address(of: hash)
        if let version {
            guard let current = try Self.describe(hash, at: path), current.version == version else { return false }
        }
        return try PosixFile.removeFile(path)
    }

    func forEachBlob(_ body: (RemoteBlob) throws -> Void) throws {
        let fm = FileManager.default
        for fanOut in try fm.contentsOfDirectory(atPath: folder.path) where fanOut.utf8.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: "\(folder.path)/\(fanOut)")) ?? [] {
                guard let hash = hashOfRemoteBlobName(Substring("\(fanOut)/\(name)")),
                      let blob = try Self.describe(hash, at: address(of: hash)) else { continue }
                try body(blob)
            }
        }
    }

    @discardableResult
    func removeAbandonedUploads(olderThan age: TimeInterval) throws -> Int {
        let cutoff = Date().addingTimeInterval(-age)
        let fm = FileManager.default
        var removed = 0
        for fanOut in try fm.contentsOfDirectory(atPath: folder.path) where fanOut.utf8.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: "\(folder.path)/\(fanOut)")) ?? []
            where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                let path = "\(folder.path)/\(fanOut)/\(name)"
                guard let modified = Self.status(path).map({ Self.modificationDate($0) }), modified < cutoff else { continue }
                if try PosixFile.removeFile(path) { removed += 1 }
            }
        }
        return removed
    }

    // MARK: Files

    private static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    private static func modificationDate(_ info: stat) -> Date {
        Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    private static func describe(_ hash: String, at path: String) throws -> RemoteBlob? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw StoreError.io(operation: "stat", path: path, code: errno)
        }
        return RemoteBlob(hash: hash, storedBytes: Int64(info.st_size), lastModified: modificationDate(info),
                          version: "\(info.st_ino)-\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)-\(info.st_size)")
    }

    /// Copies `source` to a new file `target` (which must not exist), fsynced unless `sync` is false.
    /// Returns the bytes copied.
    @discardableResult
    private static func copy(_ source: String, to target: String, sync: Bool = true) throws -> Int64 {
        let input = try PosixFile.openFile(source, flags: O_RDONLY)
        defer { input.closeFile() }
        let output = try PosixFile.openFile(target, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        defer { output.closeFile() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlobStore.chunkBytes, alignment: 64)
        defer { buffer.deallocate() }
        var copied: Int64 = 0
        while true {
            let n = try input.readSome(into: buffer)
            if n == 0 { break }
            try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            copied += Int64(n)
        }
        if sync { try output.sync() }
        return copied
    }
}
