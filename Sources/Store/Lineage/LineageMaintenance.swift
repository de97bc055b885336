// The lineage queries and updates behind verify and gc: which artifacts should be in the store, which
// runs a gc policy keeps, and recording that blobs were taken out.
import Foundation

extension LineageDatabase {
    /// Hashes of the artifacts meant to be in the store (not removed by gc or quarantine).
    func storedArtifactHashes() throws -> Set<String> {
        try database.read { db in
            Set(try db.column("SELECT hash FROM artifacts WHERE removed IS NULL", as: String.self))
        }
    }

    /// The runs a gc keeps: per pipeline, the newest `finishedRunsPerPipeline` finished runs and every
    /// run started after the oldest of them (failed or interrupted retries, whose finished stages a
    /// next attempt reuses); all runs of a pipeline with fewer finished runs; runs still `running`;
    /// and the pinned runs. Sorted by id.
    func keptRunIDs(finishedRunsPerPipeline: Int, pinned: Set<Int64>) throws -> [Int64] {
        // The count is our own integer, so it goes into the statement as a literal.
        let keep = finishedRunsPerPipeline
        return try database.read { db in
            try db.column("""
                WITH ranked AS (
                    SELECT id, pipeline, ROW_NUMBER() OVER (PARTITION BY pipeline ORDER BY id DESC) AS rank
                    FROM runs WHERE status = 'finished'
                ),
                cutoff AS (
                    SELECT pipeline, MIN(id) AS id, COUNT(*) AS finished FROM ranked WHERE rank <= \(keep) GROUP BY pipeline
                )
                SELECT r.id FROM runs r LEFT JOIN cutoff c ON c.pipeline = r.pipeline
                WHERE (\(keep) > 0 AND (c.id IS NULL OR c.finished < \(keep) OR r.id >= c.id))
                   OR r.status = 'running'
                   OR r.id IN (\(db.dialect.list(.integer)))
                ORDER BY r.id
                """, [try jsonList(pinned.sorted())], as: Int64.self)
        }
    }

    /// The outputs of the newest reusable stage run of every key: exactly what `cachedStageRun` returns.
    func reusableOutputHashes() throws -> Set<String> {
        try database.read { db in
            Set(try db.column("""
                SELECT artifact_hash FROM stage_outputs WHERE stage_run_id IN (
                    SELECT MAX(s.id) FROM stage_runs s WHERE \(Self.isReusable) GROUP BY s.key)
                """, as: String.self))
        }
    }

    /// How far back a blob may have been written by a stage that has not recorded it yet: the longest
    /// stage ever computed, or the age of the oldest live claim if that is longer.
    func inFlightWindow(now: Date) throws -> TimeInterval {
        let longest = try database.read { db in
            try db.scalar("SELECT MAX(seconds) FROM stage_runs WHERE NOT cache_hit", as: Double?.self) ?? nil
        }
        let oldestClaim = try oldestLiveClaim().map { now.timeIntervalSince($0) }
        return max(longest ?? 0, oldestClaim ?? 0)
    }

    /// Records that these blobs left the store, so cache lookups skip their stage runs and verify does
    /// not report them missing. A later stage run that writes one again brings it back.
    func markRemoved(_ hashes: [String], at now: Date) throws {
        guard !hashes.isEmpty else { return }
        try database.write { db in
            _ = try db.execute("UPDATE artifacts SET removed = ? WHERE removed IS NULL AND hash IN (\(db.dialect.list(.text)))",
                           [now, try jsonList(hashes)])
        }
    }
}
