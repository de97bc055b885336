// A piece of lineage lifted out of one database to be written into another (`tlab push`/`pull`):
// stage runs with their runs, ports, metrics and checkpoints, and the artifacts they name. Rows are
// matched in the destination by content (a run by its owner and start, a stage run by its run and
// name, an artifact by its hash), never by the source's integer ids, so copying twice adds nothing.
import Foundation

/// Rows copied between lineage databases.
public struct LineageBundle: Sendable {
    public struct StageRun: Sendable {
        public var detail: StageRunDetail
        public var metrics: [MetricPoint]
        public var checkpoints: [CheckpointRecord]
    }

    public var runs: [RunRecord]
    /// Producers before consumers (by source id), so each artifact's producer is written first.
    public var stageRuns: [StageRun]
    public var artifacts: [ArtifactRecord]

    /// Every artifact hash the bundle's rows name, for copying their blobs first.
    public var artifactHashes: [String] { artifacts.map(\.hash) }
}

/// What `LineageDatabase.importBundle` added; rows already present are not counted.
public struct ImportCounts: Sendable, Equatable {
    public var runs = 0
    public var stageRuns = 0
    public var artifacts = 0
}

extension LineageDatabase {
    /// What to lift out of a database.
    public enum Selection: Sendable, Equatable {
        case run(Int64)
        /// The artifacts and everything they were computed from.
        case ancestors(of: [String])
        case everything
    }

    /// The stage runs `selection` names, and the producers of every artifact they touch, back to the
    /// sources; stage runs still running are left out (they are not history yet).
    public func bundle(_ selection: Selection) throws -> LineageBundle {
        var ids: Set<Int64>
        switch selection {
        case .run(let runID):
            guard try run(id: runID) != nil else { throw LineageError.unknownRun(id: runID, database: path) }
            ids = Set(try stageRuns(ofRun: runID).compactMap(\.id))
        case .ancestors(let hashes):
            ids = []
            for hash in hashes { ids.formUnion(try ancestors(of: hash).stageRuns.map(\.stageRun.id!)) }
        case .everything:
            ids = Set(try database.read { try $0.column("SELECT id FROM stage_runs", as: Int64.self) })
        }
        return try database.read { db in
            // Close over producers: an artifact's row names the stage run that first wrote it.
            var frontier = ids
            while !frontier.isEmpty {
                let list = try jsonList(frontier.sorted())
                let producers = Set(try db.column("""
                    SELECT a.produced_by FROM artifacts a WHERE a.produced_by IS NOT NULL AND a.hash IN (
                        SELECT artifact_hash FROM stage_inputs WHERE stage_run_id IN (\(db.dialect.list(.integer)))
                        UNION SELECT artifact_hash FROM stage_outputs WHERE stage_run_id IN (\(db.dialect.list(.integer))))
                    """, [list, list], as: Int64.self))
                frontier = producers.subtracting(ids)
                ids.formUnion(frontier)
            }
            let list = try jsonList(ids.sorted())
            let records = try db.rows("""
                SELECT * FROM stage_runs WHERE id IN (\(db.dialect.list(.integer))) AND status != 'running' ORDER BY id
                """, [list]).map(StageRunRecord.init)
            let stageRuns = try records.map { record in
                LineageBundle.StageRun(
                    detail: try detail(db, record),
                    metrics: try db.rows("SELECT name, step, value FROM metrics WHERE stage_run_id = ?", [record.id]).map {
                        MetricPoint(name: try $0.get("name"), step: try $0.get("step"),
                                    value: try $0.get("value", as: Double?.self) ?? .nan)
                    },
                    checkpoints: try db.rows("SELECT * FROM checkpoints WHERE stage_run_id = ?", [record.id])
                        .map(CheckpointRecord.init))
            }
            let kept = try jsonList(records.compactMap(\.id))
            let runs = try db.rows("""
                SELECT * FROM runs WHERE id IN (SELECT run_id FROM stage_runs WHERE id IN (\(db.dialect.list(.integer))))
                ORDER BY id
                """, [kept]).map(RunRecord.init)
            let artifacts = try db.rows("""
                SELECT * FROM artifacts WHERE hash IN (
                    SELECT artifact_hash FROM stage_inputs WHERE stage_run_id IN (\(db.dialect.list(.integer)))
                    UNION SELECT artifact_hash FROM stage_outputs WHERE stage_run_id IN (\(db.dialect.list(.integer)))
                    UNION SELECT artifact_hash FROM checkpoints WHERE stage_run_id IN (\(db.dialect.list(.integer))))
                ORDER BY hash
                """, [kept, kept, kept]).map(ArtifactRecord.init)
            return LineageBundle(runs: runs, stageRuns: stageRuns, artifacts: artifacts)
        }
    }

    /// Writes `bundle` in one transaction: all of it becomes visible or none. Rows already present
    /// (by content) are left as they are, so importing twice adds nothing. An artifact whose blob
    /// is not in the destination (`present` says which are) is recorded as removed, as gc would.
    @discardableResult
    public func importBundle(_ bundle: LineageBundle, present: Set<String>, at now: Date = Date()) throws -> ImportCounts {
        try database.write { db in
            var counts = ImportCounts()
            var runIDs: [Int64: Int64] = [:]
            for run in bundle.runs {
                if let existing = try db.scalar("""
                    SELECT id FROM runs WHERE host = ? AND pid = ? AND started = ? AND pipeline_hash = ?
                    """, [run.host, run.pid, run.started, run.pipelineHash], as: Int64.self) {
                    runIDs[run.id!] = existing
                } else {
                    var copy = run
                    copy.submissionID = nil
                    runIDs[run.id!] = try insert(db, copy)
                    counts.runs += 1
                }
            }
            var stageRunIDs: [Int64: Int64] = [:]
            var created: Set<Int64> = []
            for stageRun in bundle.stageRuns {
                let record = stageRun.detail.record
                let runID = runIDs[record.runID]!
                if let existing = try db.scalar("SELECT id FROM stage_runs WHERE run_id = ? AND stage = ? AND started = ?",
                                                [runID, record.stage, record.started], as: Int64.self) {
                    stageRunIDs[record.id!] = existing
                } else {
                    var copy = record
                    copy.runID = runID
                    let id = try insert(db, copy)
                    stageRunIDs[record.id!] = id
                    created.insert(id)
                    counts.stageRuns += 1
                }
            }
            for artifact in bundle.artifacts {
                let producer = artifact.producedBy.flatMap { stageRunIDs[$0] }
                let known = try db.row("SELECT 1 FROM artifacts WHERE hash = ?", [artifact.hash]) != nil
                if present.contains(artifact.hash) {
                    try insertArtifact(db, artifact, producedBy: producer)
                } else if !known {
                    try db.execute("""
                        INSERT INTO artifacts (hash, media_type, raw_bytes, stored_bytes, created, produced_by, removed)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, [artifact.hash, artifact.mediaType.rawValue, artifact.rawBytes, artifact.storedBytes,
                              artifact.created, producer, artifact.removed ?? now])
                }
                if !known { counts.artifacts += 1 }
            }
            for stageRun in bundle.stageRuns {
                let id = stageRunIDs[stageRun.detail.record.id!]!
                guard created.contains(id) else { continue }
                for (table, ports) in [("stage_inputs", stageRun.detail.inputs), ("stage_outputs", stageRun.detail.outputs)] {
                    for (name, hash) in ports.sorted(by: { $0.key < $1.key }) {
                        try db.execute("INSERT INTO \(table) (stage_run_id, name, artifact_hash) VALUES (?, ?, ?)",
                                       [id, name, hash])
                    }
                }
                for point in stageRun.metrics { try insertMetric(db, stageRunID: id, point) }
                for checkpoint in stageRun.checkpoints {
                    try insertCheckpoint(db, stageRunID: id, key: checkpoint.key, step: checkpoint.step,
                                         artifactHash: checkpoint.artifactHash, created: checkpoint.created)
                }
            }
            return counts
        }
    }
}
