// Checkpoints of training stage runs in the lineage database: recorded the moment they are written,
// so a run killed mid-training can be resumed by the next run of the same key.
import Foundation
import GRDB

/// A checkpoint a stage run wrote: the blob holding it and the step (epoch) it was taken after.
public struct CheckpointRecord: Sendable, Equatable {
    public var stageRunID: Int64
    /// The key of the stage run that wrote it: a resumed run must compute the same thing.
    public var key: String
    public var step: Int
    public var artifactHash: String
    public var created: Date
}

extension LineageDatabase {
    /// Records checkpoint `artifact` of the running stage run `stageRunID` (key `key`) at `step`, as
    /// an artifact produced by that stage run, in one transaction. Write the blob first: a crash
    /// between the two leaves an orphan blob, never a row without its blob.
    public func recordCheckpoint(stageRunID: Int64, key: String, step: Int, artifact: ArtifactRecord,
                                 at now: Date = Date()) throws {
        try pool.write { db in
            guard try StageRunRecord.exists(db, key: stageRunID) else {
                throw LineageError.unknownStageRun(id: stageRunID, database: path)
            }
            try db.execute(sql: """
                INSERT INTO artifacts (hash, media_type, raw_bytes, stored_bytes, created, produced_by)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (hash) DO UPDATE SET removed = NULL, stored_bytes = excluded.stored_bytes
                WHERE artifacts.removed IS NOT NULL
                """, arguments: [artifact.hash, artifact.mediaType.rawValue, artifact.rawBytes, artifact.storedBytes,
                                 artifact.created, stageRunID])
            try db.execute(sql: """
                INSERT OR REPLACE INTO checkpoints (stage_run_id, key, step, artifact_hash, created)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [stageRunID, key, step, artifact.hash, now])
        }
    }

    /// The checkpoint a new stage run of `key` should resume from: the one with the highest step
    /// among stage runs of `key` that never finished (interrupted, failed, or still marked running by
    /// a dead process), whose blob has not been removed. Nil when there is none.
    public func latestCheckpoint(key: String) throws -> CheckpointRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT c.* FROM checkpoints c
                JOIN stage_runs s ON s.id = c.stage_run_id
                JOIN artifacts a ON a.hash = c.artifact_hash
                WHERE c.key = ? AND s.status != 'finished' AND a.removed IS NULL
                ORDER BY c.step DESC, c.created DESC, c.stage_run_id DESC LIMIT 1
                """, arguments: [key]).map(Self.checkpoint)
        }
    }

    /// The checkpoints stage run `stageRunID` recorded, by step.
    public func checkpoints(ofStageRun stageRunID: Int64) throws -> [CheckpointRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checkpoints WHERE stage_run_id = ? ORDER BY step",
                             arguments: [stageRunID]).map(Self.checkpoint)
        }
    }

    /// Hashes of the checkpoints of stage runs that never finished, while no run of their key has
    /// finished since: a later run may resume from them, so gc keeps them. Once a run of the key
    /// finishes, every checkpoint of that key is spent.
    func unfinishedCheckpointHashes() throws -> Set<String> {
        try pool.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT c.artifact_hash FROM checkpoints c JOIN stage_runs s ON s.id = c.stage_run_id
                WHERE s.status != 'finished' AND NOT EXISTS (
                    SELECT 1 FROM stage_runs f WHERE f.key = c.key AND f.status = 'finished' AND f.id > c.stage_run_id)
                """))
        }
    }

    private static func checkpoint(_ row: Row) -> CheckpointRecord {
        CheckpointRecord(stageRunID: row["stage_run_id"], key: row["key"], step: row["step"],
                         artifactHash: row["artifact_hash"], created: row["created"])
    }
}
