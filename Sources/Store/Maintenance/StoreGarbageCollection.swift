// `gc`: mark the blobs the kept runs and the cache still need, sweep the rest of the store (and of its
// remote tier, if it has one).
import Foundation

/// What a gc keeps. The default keeps every blob a run could reuse, so a gc never costs recomputation:
/// it frees orphans (blobs of runs that died before recording them) and outputs superseded by a newer
/// result for the same key. Turn `keepCacheEntries` off to keep only the kept runs' blobs.
public struct GCPolicy: Sendable, Equatable {
    /// Per pipeline, the newest this-many finished runs are kept, with every run started after the
    /// oldest of them (failed or interrupted retries). 0 keeps no run for being recent.
    public var finishedRunsPerPipeline: Int
    /// Keep the outputs of the newest reusable stage run of every key: all a cache lookup could return.
    public var keepCacheEntries: Bool
    /// Runs kept whatever their age.
    public var pinnedRuns: Set<Int64>
    /// Unreferenced blobs and temporary files modified less than this many seconds ago are left for a
    /// later gc: a process that writes blobs without holding the store lock may not have recorded
    /// them yet.
    public var grace: TimeInterval
    /// The same for the remote tier, counted from each object's last-modified time. Runs on other
    /// machines do not hold this machine's store lock, and a stage records its blobs only when it
    /// finishes, so this must exceed the longest stage plus `BlobStore.remoteReuseWindow`. Multipart
    /// uploads abandoned longer than this are aborted.
    public var remoteGrace: TimeInterval

    public init(finishedRunsPerPipeline: Int = 1, keepCacheEntries: Bool = true, pinnedRuns: Set<Int64> = [],
                grace: TimeInterval = 3600, remoteGrace: TimeInterval = 7 * 86_400) {
        precondition(finishedRunsPerPipeline >= 0 && grace >= 0 && remoteGrace >= 0,
                     "gc policy counts and grace periods are not negative")
        self.finishedRunsPerPipeline = finishedRunsPerPipeline
        self.keepCacheEntries = keepCacheEntries
        self.pinnedRuns = pinnedRuns
        self.grace = grace
        self.remoteGrace = remoteGrace
    }
}

/// What a gc did, or with `dryRun` would do. Hash lists are sorted.
public struct GCReport: Sendable, Equatable {
    public var dryRun: Bool
    public var keptRuns: [Int64]
    /// Blobs in the store (in the remote, with a remote tier) that the policy keeps.
    public var kept: Int
    /// Blobs deleted from the store (from the remote, with a remote tier), or that would be.
    public var swept: [String]
    /// Compressed bytes freed by `swept`.
    public var sweptBytes: Int64
    /// Unreferenced blobs left alone because they are younger than the grace period.
    public var spared: [String]
    /// Stale temporary files of dead puts deleted, and abandoned multipart uploads aborted (none on a
    /// dry run).
    public var removedTemporaries: Int
    /// With a remote tier: its location, and the unreferenced copies deleted from the local cache
    /// (or that would be; the remote decides what the store holds).
    public var remote: String? = nil
    public var evictedFromCache: [String] = []
}

extension BlobStore {
    /// Marks what `policy` keeps and sweeps every other blob older than its grace period, recording the
    /// removals in `lineage`. Takes the store lock exclusively (shared for a dry run) and fails at once
    /// with `StoreError.busy` if another process, or another lock handle in this one, holds it.
    public func collectGarbage(lineage: LineageDatabase, policy: GCPolicy = GCPolicy(),
                               dryRun: Bool = false) throws -> GCReport {
        var policy = policy
        if lineage.isShared {
            // Runs elsewhere put blobs without this machine's store lock and record them when their
            // stage ends: spare unrecorded blobs for as long as a stage can take and any claim has lasted.
            let window = try lineage.inFlightWindow(now: Date())
            policy.grace = max(policy.grace, window)
            policy.remoteGrace = max(policy.remoteGrace, window)
        }
        return try collectGarbage(policy: policy, dryRun: dryRun, mark: {
            let keptRuns = try lineage.keptRunIDs(finishedRunsPerPipeline: policy.finishedRunsPerPipeline,
                                                  pinned: policy.pinnedRuns)
            var marked = try lineage.artifactHashes(referencedByRuns: keptRuns)
            if policy.keepCacheEntries { marked.formUnion(try lineage.reusableOutputHashes()) }
            // Whatever the policy, a crashed training run's checkpoints are how its retry avoids starting over.
            marked.formUnion(try lineage.unfinishedCheckpointHashes())
            return (keptRuns, marked)
        }, markRemoved: { try lineage.markRemoved($0, at: $1) })
    }

    /// The sweep behind `collectGarbage(lineage:)`: `mark` (called under the store lock) gives the kept
    /// runs and every blob hash they and the policy keep; `markRemoved` records hashes as removed, and
    /// is called before anything is deleted, so a crash between the two leaves orphans (swept next
    /// time), never rows whose blobs are gone.
    func collectGarbage(policy: GCPolicy = GCPolicy(), dryRun: Bool = false,
                               mark: () throws -> (keptRuns: [Int64], hashes: Set<String>),
                               markRemoved: ([String], Date) throws -> Void) throws -> GCReport {
        let lock = try StoreLock(root: root, mode: dryRun ? .shared : .exclusive)
        defer { lock.release() }
        let now = Date()
        let (keptRuns, marked) = try mark()
        var report = GCReport(dryRun: dryRun, keptRuns: keptRuns, kept: 0, swept: [], sweptBytes: 0,
                              spared: [], removedTemporaries: 0)
        var listed: [String: RemoteBlob] = [:]
        var cacheSwept: [String] = []
        for hash in try allHashes() {
            if marked.contains(hash) {
                if remote == nil { report.kept += 1 }
                continue
            }
            // A blob gone since the listing (quarantined by a verify beside a dry run) needs no sweep.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: try path(of: hash).path) else {
                continue
            }
            let modified = attributes[.modificationDate] as? Date ?? now
            if now.timeIntervalSince(modified) < policy.grace {
                if remote == nil { report.spared.append(hash) }
            } else {
                cacheSwept.append(hash)
                if remote == nil { report.sweptBytes += (attributes[.size] as? NSNumber)?.int64Value ?? 0 }
            }
        }
        if let remote {
            report.remote = remote.location
            report.evictedFromCache = cacheSwept
            for blob in try remote.allBlobs() {
                if marked.contains(blob.hash) {
                    report.kept += 1
                } else if now.timeIntervalSince(blob.lastModified) < policy.remoteGrace {
                    report.spared.append(blob.hash)
                } else {
                    report.swept.append(blob.hash)
                    report.sweptBytes += blob.storedBytes
                    listed[blob.hash] = blob
                }
            }
        } else {
            report.swept = cacheSwept
        }
        guard !dryRun else { return report }
        // Rows first: a crash between the two steps leaves blobs no row names (orphans, swept next
        // time), never rows whose blobs are gone (damage verify would report).
        try markRemoved(report.swept, now)
        if let remote {
            // Only the copy that was listed: one uploaded again since (a put reusing the blob) stays,
            // and its row is revived when the run that uploaded it records it.
            report.swept = try report.swept.filter { try remote.delete($0, ifVersion: listed[$0]?.version) }
            report.sweptBytes = report.swept.reduce(0) { $0 + (listed[$1]?.storedBytes ?? 0) }
            report.removedTemporaries += try remote.removeAbandonedUploads(olderThan: policy.remoteGrace)
        }
        for hash in Set(cacheSwept).union(report.swept) { try remove(hash) }
        report.removedTemporaries += try removeStaleTemporaries(olderThan: policy.grace)
        return report
    }
}
