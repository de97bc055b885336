// The size cap of a remote store's local cache: least recently used blobs leave it first, and a blob
// this process holds (a running stage's inputs, a blob being read) never does. The remote keeps every
// blob, so an evicted one is only downloaded again when it is next read.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobStore {
    /// Runs `body` while `hashes` are held: the cache cap never evicts them meanwhile. Holds nest and
    /// may overlap between threads (each is counted).
    public func holding<T>(_ hashes: [String], _ body: () throws -> T) rethrows -> T {
        cacheHolds.add(hashes)
        defer { cacheHolds.remove(hashes) }
        return try body()
    }

    /// Marks the cached blob file at `path` as used now (its access time, which the kernel updates
    /// lazily or not at all under `relatime`/`noatime`), so eviction takes it last. Only for a capped
    /// cache. The time is set explicitly from a clock this process keeps strictly increasing: the
    /// kernel's own "now" is coarse (one tick, up to 10 ms), so two uses within a tick would tie and
    /// eviction would pick between them by name.
    func noteUse(_ path: String) {
        guard cacheLimit != nil, remote != nil else { return }
        // Glibc's UTIME_OMIT is a macro Swift does not import: the modification time, which gc's grace
        // period reads, stays as it is.
        #if os(Linux)
        let omit = (1 << 30) - 2
        #else
        let omit = -2
        #endif
        var times = [UseClock.shared.next(), timespec(tv_sec: 0, tv_nsec: omit)]
        _ = utimensat(AT_FDCWD, path, &times, 0)
    }

    /// With a cache cap, removes the least recently used cached blobs not held by this process until
    /// the cached blobs' total stored size is at most `cacheLimit`. Blobs held or just used may keep
    /// the cache above the cap; so may other processes sharing the folder between two trims (each
    /// trim counts every file there). A stat per cached blob, after each blob enters the cache.
    func trimCache() {
        guard let limit = cacheLimit, remote != nil else { return }
        cacheHolds.trimming.lock()
        defer { cacheHolds.trimming.unlock() }
        var entries: [(hash: String, path: String, bytes: Int64, used: timespec)] = []
        for hash in (try? allHashes()) ?? [] {
            guard let path = try? blobPath(hash) else { continue }
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            entries.append((hash, path, Int64(status.st_size), status.st_atim))
        }
        var total = entries.reduce(0) { $0 + $1.bytes }
        guard total > limit else { return }
        entries.sort { ($0.used.tv_sec, $0.used.tv_nsec) < ($1.used.tv_sec, $1.used.tv_nsec) }
        for entry in entries where total > limit && !cacheHolds.contains(entry.hash) {
            if (try? PosixFile.removeFile(entry.path)) == true { total -= entry.bytes }
        }
    }
}

/// Fine-grained times for `noteUse`, strictly increasing within this process.
final class UseClock: @unchecked Sendable {
    static let shared = UseClock()
    private let lock = NSLock()
    private var last: Int64 = 0

    func next() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = lock.withLock {
            last = max(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec), last + 1)
            return last
        }
        return timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }
}

/// The blobs this process holds in the cache, counted, and the lock that makes trims one at a time.
final class CacheHolds: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    let trimming = NSLock()

    func add(_ hashes: [String]) { lock.withLock { for hash in hashes { counts[hash, default: 0] += 1 } } }

    func remove(_ hashes: [String]) {
        lock.withLock {
            for hash in hashes {
                let left = (counts[hash] ?? 1) - 1
                counts[hash] = left > 0 ? left : nil
            }
        }
    }

    func contains(_ hash: String) -> Bool { lock.withLock { counts[hash] != nil } }
}

/// A number of bytes as people write it in a configuration file.
public enum ByteCount {
    /// `20 GiB`, `500MB`, `1.5 TB`, `123456` (bytes): B, kB/KB, MB, GB, TB count in powers of 1000;
    /// KiB, MiB, GiB, TiB in powers of 1024. Nil for anything else, or for a size below one byte or
    /// beyond 2^63.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let scales: [String: Double] = ["": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
                                        "KiB": 1024, "MiB": 0x1p20, "GiB": 0x1p30, "TiB": 0x1p40]
        guard let number = Double(digits), let scale = scales[unit] else { return nil }
        let bytes = (number * scale).rounded(.down)
        guard bytes >= 1, bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }
}
