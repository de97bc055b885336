// `gc`: mark the blobs the kept runs and the cache still need, sweep the rest of the store.
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

    public init(finishedRunsPerPipeline: Int = 1, keepCacheEntries: Bool = true, pinnedRuns: Set<Int64> = [],
                grace: TimeInterval = 3600) {
        precondition(finishedRunsPerPipeline >= 0 && grace >= 0, "gc policy counts and grace are not negative")
        self.finishedRunsPerPipeline = finishedRunsPerPipeline
        self.keepCacheEntries = keepCacheEntries
        self.pinnedRuns = pinnedRuns
        self.grace = grace
    }
}

/// What a gc did, or with `dryRun` would do. Hash lists are sorted.
public struct GCReport: Sendable, Equatable {
    public var dryRun: Bool
    public var keptRuns: [Int64]
    /// Blobs on disk that the policy keeps.
    public var kept: Int
    /// Blobs deleted (or that would be).
    public var swept: [String]
    /// Compressed bytes freed by `swept`.
    public var sweptBytes: Int64
    /// Unreferenced blobs left alone because they are younger than the grace period.
    public var spared: [String]
    /// Stale temporary files of dead puts deleted (none on a dry run).
    public var removedTemporaries: Int
}

extension BlobStore {
    /// Marks what `policy` keeps and sweeps every other blob older than its grace period, recording the
    /// removals in `lineage`. Takes the store lock exclusively (shared for a dry run) and fails at once
    /// with `StoreError.busy` if another process, or another lock handle in this one, holds it.
    public func collectGarbage(lineage: LineageDatabase, policy: GCPolicy = GCPolicy(),
                               dryRun: Bool = false) throws -> GCReport {
        let lock = try StoreLock(root: root, mode: dryRun ? .shared : .exclusive)
        defer { lock.release() }
        let now = Date()
        // On a shared store, runs elsewhere put blobs without this lock and record them when their
        // stage ends: spare unrecorded blobs for as long as a stage can take and any claim has lasted.
        let grace = lineage.isShared ? max(policy.grace, try lineage.inFlightWindow(now: now)) : policy.grace
        let keptRuns = try lineage.keptRunIDs(finishedRunsPerPipeline: policy.finishedRunsPerPipeline,
                                              pinned: policy.pinnedRuns)
        var marked = try lineage.artifactHashes(referencedByRuns: keptRuns)
        if policy.keepCacheEntries { marked.formUnion(try lineage.reusableOutputHashes()) }
        // Whatever the policy, a crashed training run's checkpoints are how its retry avoids starting over.
        marked.formUnion(try lineage.unfinishedCheckpointHashes())

        let onDisk = try allHashes()
        var report = GCReport(dryRun: dryRun, keptRuns: keptRuns, kept: 0, swept: [], sweptBytes: 0,
                              spared: [], removedTemporaries: 0)
        for hash in onDisk {
            if marked.contains(hash) {
                report.kept += 1
                continue
            }
            // A blob gone since the listing (quarantined by a verify beside a dry run) needs no sweep.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: try path(of: hash).path) else {
                continue
            }
            let modified = attributes[.modificationDate] as? Date ?? now
            if now.timeIntervalSince(modified) < grace {
                report.spared.append(hash)
            } else {
                report.swept.append(hash)
                report.sweptBytes += (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        guard !dryRun else { return report }
        // Rows first: a crash between the two steps leaves blobs no row names (orphans, swept next
        // time), never rows whose blobs are gone (damage verify would report).
        try lineage.markRemoved(report.swept, at: now)
        for hash in report.swept { try remove(hash) }
        report.removedTemporaries = try removeStaleTemporaries(olderThan: grace)
        return report
    }
}
