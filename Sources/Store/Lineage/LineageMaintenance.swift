// The lineage queries and updates behind verify and gc: which artifacts should be in the store, which
// runs a gc policy keeps, and recording that blobs were taken out.
import Foundation
import GRDB

extension LineageDatabase {
    /// Hashes of the artifacts meant to be in the store (not removed by gc or quarantine).
    func storedArtifactHashes() throws -> Set<String> {
        try pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT hash FROM artifacts WHERE removed IS NULL"))
        }
    }

    /// The runs a gc keeps: per pipeline, the newest `finishedRunsPerPipeline` finished runs and every
    /// run started after the oldest of them (failed or interrupted retries, whose finished stages a
    /// next attempt reuses); all runs of a pipeline with fewer finished runs; runs still `running`;
    /// and the pinned runs. Sorted by id.
    func keptRunIDs(finishedRunsPerPipeline: Int, pinned: Set<Int64>) throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: """
                WITH ranked AS (
                    SELECT id, pipeline, ROW_NUMBER() OVER (PARTITION BY pipeline ORDER BY id DESC) AS rank
                    FROM runs WHERE status = 'finished'
                ),
                cutoff AS (
                    SELECT pipeline, MIN(id) AS id, COUNT(*) AS finished FROM ranked WHERE rank <= ?1 GROUP BY pipeline
                )
                SELECT r.id FROM runs r LEFT JOIN cutoff c ON c.pipeline = r.pipeline
                WHERE (?1 > 0 AND (c.id IS NULL OR c.finished < ?1 OR r.id >= c.id))
                   OR r.status = 'running'
                   OR r.id IN (SELECT value FROM json_each(?2))
                ORDER BY r.id
                """, arguments: [finishedRunsPerPipeline, try jsonArray(pinned.sorted())])
        }
    }

    /// The outputs of the newest reusable stage run of every key: exactly what `cachedStageRun` returns.
    func reusableOutputHashes() throws -> Set<String> {
        try pool.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT artifact_hash FROM stage_outputs WHERE stage_run_id IN (
                    SELECT MAX(s.id) FROM stage_runs s WHERE \(Self.isReusable) GROUP BY s.key)
                """))
        }
    }

    /// Records that these blobs left the store, so cache lookups skip their stage runs and verify does
    /// not report them missing. A later stage run that writes one again brings it back.
    func markRemoved(_ hashes: [String], at now: Date) throws {
        guard !hashes.isEmpty else { return }
        try pool.write { db in
            try db.execute(sql: """
                UPDATE artifacts SET removed = ? WHERE removed IS NULL AND hash IN (SELECT value FROM json_each(?))
                """, arguments: [now, try jsonArray(hashes)])
        }
    }
}
