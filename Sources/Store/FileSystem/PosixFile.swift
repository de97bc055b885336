// The few POSIX file operations the blob store needs directly (Foundation offers no fsync of a folder,
// no flock, no O_EXCL create): each retries EINTR and throws `StoreError.io` naming the path.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux)
/// glibc's sync_file_range, looked up at run time: Swift's Glibc module leaves out the _GNU_SOURCE calls.
private let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? =
    dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self) }
#endif

/// An open file descriptor together with the path it was opened from, for error messages.
struct PosixFile {
    let descriptor: Int32
    let path: String

    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> PosixFile {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return PosixFile(descriptor: fd, path: path) }
            if errno != EINTR { throw StoreError.io(operation: "open", path: path, code: errno) }
        }
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(descriptor, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(operation: "write", path: path, code: errno)
            }
            next += n
            left -= n
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = read(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw StoreError.io(operation: "read", path: path, code: errno) }
        }
    }

    /// Fills `buffer` unless the file ends first; returns the bytes read.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = try readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Fills `buffer` from byte `offset` of the file (pread: the file offset stays where it is)
    /// unless the file ends first; returns the bytes read.
    func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + total, buffer.count - total, off_t(offset + Int64(total)))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(operation: "read", path: path, code: errno)
            }
            if n == 0 { break }
            total += n
        }
        return total
    }

    func sync() throws {
        if fsync(descriptor) != 0 { throw StoreError.io(operation: "fsync", path: path, code: errno) }
    }

    /// Starts writing the file's dirty pages to disk without waiting, so a later `sync` has little left
    /// to flush. Linux only (sync_file_range); elsewhere the final fsync does all the work.
    func startWriteback() {
        #if os(Linux)
        _ = syncFileRange?(descriptor, 0, 0, 2 /* SYNC_FILE_RANGE_WRITE */)
        #endif
    }

    func size() throws -> Int64 {
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw StoreError.io(operation: "stat", path: path, code: errno) }
        return Int64(info.st_size)
    }

    func closeFile() { _ = close(descriptor) }

    /// Makes a rename or create inside `directory` durable: the entry itself lives in the folder's data.
    static func syncDirectory(_ directory: String) throws {
        let dir = try openFile(directory, flags: O_RDONLY | O_DIRECTORY)
        defer { dir.closeFile() }
        try dir.sync()
    }

    /// Creates `path` as a folder; an existing folder is fine. Returns whether it was created.
    @discardableResult
    static func makeDirectory(_ path: String) throws -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST { return false }
        throw StoreError.io(operation: "mkdir", path: path, code: errno)
    }

    static func move(_ from: String, to: String) throws {
        if rename(from, to) != 0 { throw StoreError.io(operation: "rename to \(to)", path: from, code: errno) }
    }

    /// Removes a file; returns false if it was not there.
    @discardableResult
    static func removeFile(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw StoreError.io(operation: "unlink", path: path, code: errno)
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
