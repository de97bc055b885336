// Checkpoints of training stage runs in the lineage database: recorded the moment they are written,
// so a run killed mid-training can be resumed by the next run of the same key.
import Foundation

/// A checkpoint a stage run wrote: the blob holding it and the step (epoch) it was taken after.
public struct CheckpointRecord: Sendable, Equatable {
    public var stageRunID: Int64
    /// The key of the stage run that wrote it: a resumed run must compute the same thing.
    public var key: String
    public var step: Int
    public var artifactHash: String
    public var created: Date

    init(row: SQLRow) throws {
        stageRunID = try row.get("stage_run_id")
        key = try row.get("key")
        step = try row.get("step")
        artifactHash = try row.get("artifact_hash")
        created = try row.get("created")
    }
}

extension LineageDatabase {
    /// Records checkpoint `artifact` of the running stage run `stageRunID` (key `key`) at `step`, as
    /// an artifact produced by that stage run, in one transaction. Write the blob first: a crash
    /// between the two leaves an orphan blob, never a row without its blob.
    public func recordCheckpoint(stageRunID: Int64, key: String, step: Int, artifact: ArtifactRecord,
                                 at now: Date = Date()) throws {
        try database.write { db in
            guard try db.row("SELECT 1 FROM stage_runs WHERE id = ?", [stageRunID]) != nil else {
                throw LineageError.unknownStageRun(id: stageRunID, database: path)
            }
            try insertArtifact(db, artifact, producedBy: stageRunID)
            try insertCheckpoint(db, stageRunID: stageRunID, key: key, step: step, artifactHash: artifact.hash, created: now)
        }
    }

    func insertCheckpoint(_ db: SQLConnection, stageRunID: Int64, key: String, step: Int, artifactHash: String,
                          created: Date) throws {
        try db.execute("""
            INSERT INTO checkpoints (stage_run_id, key, step, artifact_hash, created) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (stage_run_id, step) DO UPDATE SET key = excluded.key, artifact_hash = excluded.artifact_hash,
                created = excluded.created
            """, [stageRunID, key, step, artifactHash, created])
    }

    /// The checkpoint a new stage run of `key` should resume from: the one with the highest step
    /// among stage runs of `key` that never finished (interrupted, failed, or still marked running by
    /// a dead process), whose blob has not been removed. Nil when there is none.
    public func latestCheckpoint(key: String) throws -> CheckpointRecord? {
        try database.read { db in
            try db.row("""
                SELECT c.* FROM checkpoints c
                JOIN stage_runs s ON s.id = c.stage_run_id
                JOIN artifacts a ON a.hash = c.artifact_hash
                WHERE c.key = ? AND s.status != 'finished' AND a.removed IS NULL
                ORDER BY c.step DESC, c.created DESC, c.stage_run_id DESC LIMIT 1
                """, [key]).map(CheckpointRecord.init)
        }
    }

    /// The checkpoints stage run `stageRunID` recorded, by step.
    public func checkpoints(ofStageRun stageRunID: Int64) throws -> [CheckpointRecord] {
        try database.read { db in
            try db.rows("SELECT * FROM checkpoints WHERE stage_run_id = ? ORDER BY step", [stageRunID])
                .map(CheckpointRecord.init)
        }
    }

    /// Hashes of the checkpoints of stage runs that never finished, while no run of their key has
    /// finished since: a later run may resume from them, so gc keeps them. Once a run of the key
    /// finishes, every checkpoint of that key is spent.
    func unfinishedCheckpointHashes() throws -> Set<String> {
        try database.read { db in
            Set(try db.column("""
                SELECT c.artifact_hash FROM checkpoints c JOIN stage_runs s ON s.id = c.stage_run_id
                WHERE s.status != 'finished' AND NOT EXISTS (
                    SELECT 1 FROM stage_runs f WHERE f.key = c.key AND f.status = 'finished' AND f.id > c.stage_run_id)
                """, as: String.self))
        }
    }
}
