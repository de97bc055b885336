// SHA-256 of local files, remembered in the store by what identifies a file's version (device, inode,
// size, modification and change times, to the nanosecond), so the key of a stage reading a folder of
// 100,000 images costs a stat per file once their hashes are known, and a read of only what changed.
import Dispatch
import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// File hashes by path, valid while the file's stat identity is unchanged. The change time moves on
/// every write and cannot be set by a user, so a file edited in place, even to the same size and
/// modification time, is hashed again.
package final class FileHashCache: @unchecked Sendable {
    package struct Identity: Equatable {
        let device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64

        package init(_ s: stat) {
            device = UInt64(s.st_dev)
            inode = UInt64(s.st_ino)
            size = Int64(s.st_size)
            modified = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
            changed = Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec)
        }

        package init?<S: Collection>(fields: [S]) where S.Element == UInt8 {
            func number(_ field: S) -> Int64? { Int64(String(decoding: field, as: UTF8.self)) }
            guard fields.count == 5, let d = number(fields[0]), let i = number(fields[1]), let s = number(fields[2]),
                  let m = number(fields[3]), let c = number(fields[4]) else { return nil }
            (device, inode, size, modified, changed) = (UInt64(bitPattern: d), UInt64(bitPattern: i), s, m, c)
        }

        package var fields: String { "\(device)\t\(inode)\t\(size)\t\(modified)\t\(changed)" }
    }

    /// Where the cache lives in a store.
    package static func location(inStore root: URL) -> URL { root.appendingPathComponent("cache/file-hashes.tsv") }

    private let file: URL?
    private let lock = NSLock()
    private var entries: [String: (identity: Identity, sha256: String)] = [:]
    private var changed = false

    /// The cache saved at `file` (nothing is remembered across runs when nil). A missing or damaged
    /// file is an empty cache: it only saves work.
    package init(file: URL?) {
        self.file = file
        guard let file, let data = try? Data(contentsOf: file) else { return }
        // Bytes, not Strings: 100,000 lines parse in a fraction of a second.
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                // sha256, five identity fields, then the path (which may hold tabs): seven fields.
                let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 6, omittingEmptySubsequences: false)
                guard fields.count == 7, fields[0].count == 64, let identity = Identity(fields: Array(fields[1...5])) else { continue }
                entries[String(decoding: fields[6], as: UTF8.self)] = (identity, String(decoding: fields[0], as: UTF8.self))
            }
        }
    }

    /// The identity of the file at `path` (following symbolic links).
    package static func identity(of path: String) throws -> Identity {
        var s = stat()
        guard stat(path, &s) == 0 else {
            throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        return Identity(s)
    }

    /// The SHA-256 of each file at `paths` (absolute), in order: remembered ones by a stat (or by
    /// `identities` the caller took), the others read and hashed on two threads.
    package func sha256(of paths: [String], identities known: [Identity]? = nil) throws -> [String] {
        var results = [String?](repeating: nil, count: paths.count)
        var identities = [Identity?](repeating: nil, count: paths.count)
        var missing: [Int] = []
        for (i, path) in paths.enumerated() {
            let identity = try known?[i] ?? Self.identity(of: path)
            identities[i] = identity
            if let entry = lock.withLock({ entries[path] }), entry.identity == identity { results[i] = entry.sha256 } else { missing.append(i) }
        }
        let failures = FailureBox()
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: min(2, missing.count)) { worker in
                for k in stride(from: worker, to: missing.count, by: 2) {
                    let i = missing[k]
                    do {
                        out[i] = try Self.hashFile(paths[i])
                    } catch {
                        failures.record(error, at: i)
                    }
                }
            }
        }
        if let error = failures.first { throw error }
        for i in missing { remember(paths[i], identity: identities[i]!, sha256: results[i]!) }
        return results.map { $0! }
    }

    /// Records a hash the caller computed from the file's bytes (read while its identity was `identity`).
    package func remember(_ path: String, identity: Identity, sha256: String) {
        lock.withLock {
            if entries[path]?.identity != identity || entries[path]?.sha256 != sha256 {
                entries[path] = (identity, sha256)
                changed = true
            }
        }
    }

    /// Writes the cache (to a temporary file renamed into place) if anything was added.
    package func save() {
        guard let file else { return }
        let text = lock.withLock { () -> String? in
            guard changed else { return nil }
            changed = false
            return entries.map { "\($0.value.sha256)\t\($0.value.identity.fields)\t\($0.key)\n" }.joined()
        }
        guard let text else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // A cache that cannot be written costs time next run, never correctness.
        try? text.write(to: file, atomically: true, encoding: .utf8)
    }

    /// The digest (SHA-256 unless told) of a file's bytes, read in 1 MiB pieces.
    package static func hashFile(_ path: String, _ algorithm: Digest.Algorithm = .sha256) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var digest = Digest(algorithm)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(descriptor, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return digest.finalize()
    }
}

/// The first failure, by index, of work done on several threads.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: (index: Int, error: Error)?

    func record(_ error: Error, at index: Int) {
        lock.withLock { if failure == nil || index < failure!.index { failure = (index, error) } }
    }

    var first: Error? { lock.withLock { failure?.error } }
}
