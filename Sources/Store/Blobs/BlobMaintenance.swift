// Taking blobs out of the store: quarantine of corrupt blobs, removal by gc, cleanup of stale temporaries.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobStore {
    /// Moves blob `hash` to `root/quarantine/`, so the next run recomputes it while the damaged file
    /// stays available for inspection. Returns where it went.
    @discardableResult
    public func quarantine(_ hash: String) throws -> URL {
        let source = try blobPath(hash)
        guard PosixFile.exists(source) else { throw StoreError.missing(hash: hash, path: source) }
        var target = "\(quarantinePath)/\(hash).zst"
        if PosixFile.exists(target) {
            target = "\(quarantinePath)/\(hash)-\(Int(Date().timeIntervalSince1970)).zst"
        }
        try PosixFile.move(source, to: target)
        try PosixFile.syncDirectory(quarantinePath)
        try PosixFile.syncDirectory((source as NSString).deletingLastPathComponent)
        return URL(fileURLWithPath: target)
    }

    /// Deletes blob `hash` and its fan-out folder if that became empty. Returns false if it was not
    /// there. Callers (gc) should hold the store lock exclusively.
    @discardableResult
    public func remove(_ hash: String) throws -> Bool {
        let path = try blobPath(hash)
        guard try PosixFile.removeFile(path) else { return false }
        let fanOut = (path as NSString).deletingLastPathComponent
        if rmdir(fanOut) == 0 { try PosixFile.syncDirectory(blobsPath) } else { try PosixFile.syncDirectory(fanOut) }
        return true
    }

    /// Deletes temporary files in `root/tmp/` not written to for `grace` seconds: leftovers of puts whose
    /// process died. A live put touches its file with every write, so a grace longer than any pause in
    /// writing (minutes) never removes one in progress. Returns how many were removed.
    @discardableResult
    public func removeStaleTemporaries(olderThan grace: TimeInterval) throws -> Int {
        let cutoff = Date().addingTimeInterval(-grace).timeIntervalSince1970
        var removed = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: tmpPath) where name.hasSuffix(".tmp") {
            let path = tmpPath + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
            if modified <= cutoff, try PosixFile.removeFile(path) { removed += 1 }
        }
        return removed
    }
}
