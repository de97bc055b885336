// Read queries over the lineage database: cache lookup, runs and stage runs, metrics, artifact lookup.
// The recursive ancestor/descendant queries are in LineageGraph.swift.
import Foundation

extension LineageDatabase {
    /// The cache lookup: the newest finished stage run of `key` whose outputs are all still in the store
    /// (none removed by gc or quarantine), with its outputs. The caller still checks that the blobs are
    /// present and intact before reusing them.
    public func cachedStageRun(key: String) throws -> StageRunDetail? {
        try database.read { db in
            try db.row("""
                SELECT * FROM stage_runs s
                WHERE s.key = ? AND \(Self.isReusable)
                ORDER BY s.id DESC LIMIT 1
                """, [key]).map { try detail(db, StageRunRecord(row: $0)) }
        }
    }

    /// SQL condition on a stage run `s`: finished, and none of its outputs removed from the store. The
    /// cache lookup and gc share it, so gc never sweeps what a lookup would reuse.
    static let isReusable = """
        s.status = 'finished' AND NOT EXISTS (
            SELECT 1 FROM stage_outputs o JOIN artifacts a ON a.hash = o.artifact_hash
            WHERE o.stage_run_id = s.id AND a.removed IS NOT NULL)
        """

    /// The newest finished stage run named `stage` (any key), with its params and inputs: what a stage
    /// that must run again is compared with to say why.
    /// - Parameter pipeline: restricts the search to runs of this pipeline.
    public func latestStageRun(stage: String, pipeline: String? = nil) throws -> StageRunDetail? {
        try database.read { db in
            try db.row("""
                SELECT s.* FROM stage_runs s JOIN runs r ON r.id = s.run_id
                WHERE s.stage = ? AND s.status = 'finished' AND (CAST(? AS TEXT) IS NULL OR r.pipeline = ?)
                ORDER BY s.id DESC LIMIT 1
                """, [stage, pipeline, pipeline]).map { try detail(db, StageRunRecord(row: $0)) }
        }
    }

    /// The newest finished run of `stage` in a run of `pipeline` that started before stage run
    /// `id`: what that stage run was compared with when it had to compute (its "why").
    public func stageRun(named stage: String, pipeline: String, before id: Int64) throws -> StageRunRecord? {
        try database.read { db in
            try db.row("""
                SELECT s.* FROM stage_runs s JOIN runs r ON r.id = s.run_id
                WHERE s.stage = ? AND s.status = 'finished' AND r.pipeline = ? AND s.id < ?
                ORDER BY s.id DESC LIMIT 1
                """, [stage, pipeline, id]).map(StageRunRecord.init)
        }
    }

    /// One stage run with its inputs and outputs, or nil if there is none with this id.
    public func stageRun(id: Int64) throws -> StageRunDetail? {
        try database.read { db in
            try db.row("SELECT * FROM stage_runs WHERE id = ?", [id]).map { try detail(db, StageRunRecord(row: $0)) }
        }
    }

    /// Runs, newest first.
    public func runs(limit: Int? = nil) throws -> [RunRecord] {
        try database.read { db in
            try db.rows("SELECT * FROM runs ORDER BY id DESC" + (limit.map { " LIMIT \($0)" } ?? "")).map(RunRecord.init)
        }
    }

    public func run(id: Int64) throws -> RunRecord? {
        try database.read { db in try db.row("SELECT * FROM runs WHERE id = ?", [id]).map(RunRecord.init) }
    }

    /// The stage runs of a run, in the order they started.
    public func stageRuns(ofRun runID: Int64) throws -> [StageRunRecord] {
        try database.read { db in
            try db.rows("SELECT * FROM stage_runs WHERE run_id = ? ORDER BY id", [runID]).map(StageRunRecord.init)
        }
    }

    /// The curve points a stage run recorded, by metric name then step.
    public func metrics(ofStageRun stageRunID: Int64) throws -> [MetricPoint] {
        try database.read { db in
            try db.rows("SELECT name, step, value FROM metrics WHERE stage_run_id = ? ORDER BY name, step",
                        [stageRunID]).map { row in
                MetricPoint(name: try row.get("name"), step: try row.get("step"),
                            value: try row.get("value", as: Double?.self) ?? .nan)
            }
        }
    }

    /// The one artifact whose hash starts with `prefix` (case-insensitive hex), as `git` resolves short ids.
    public func artifact(hashPrefix prefix: String) throws -> ArtifactRecord {
        let hex = prefix.lowercased()
        guard (1...64).contains(hex.count), hex.allSatisfy({ $0.isHexDigit }) else {
            throw LineageError.invalidHashPrefix(prefix)
        }
        // The prefix is plain hex, so it holds no LIKE metacharacters; hashes are lowercase, so
        // SQLite's case-insensitive LIKE and PostgreSQL's case-sensitive one agree.
        let matches = try database.read { db in
            try db.rows("SELECT * FROM artifacts WHERE hash LIKE ? ORDER BY hash LIMIT 10", [hex + "%"])
                .map(ArtifactRecord.init)
        }
        guard let first = matches.first else { throw LineageError.noArtifactMatches(prefix: prefix, database: path) }
        guard matches.count == 1 else {
            throw LineageError.ambiguousPrefix(prefix: prefix, candidates: matches.map(\.hash))
        }
        return first
    }

    /// The size of the bytes whose SHA-256 is `hash`, if lineage recorded an artifact of them.
    public func rawBytes(ofArtifact hash: String) throws -> Int64? {
        try database.read { db in try db.scalar("SELECT raw_bytes FROM artifacts WHERE hash = ?", [hash], as: Int64.self) }
    }

    /// The artifacts finished stage runs recorded as output `name`, newest first, at most `limit`.
    public func outputHashes(named name: String, limit: Int) throws -> [String] {
        try database.read { db in
            try db.column("""
                SELECT o.artifact_hash FROM stage_outputs o JOIN stage_runs s ON s.id = o.stage_run_id
                WHERE o.name = ? AND s.status = 'finished' GROUP BY o.artifact_hash ORDER BY MAX(s.id) DESC LIMIT ?
                """, [name, limit], as: String.self)
        }
    }

    /// Every artifact hash that a stage run of these runs read or wrote.
    public func artifactHashes(referencedByRuns runIDs: [Int64]) throws -> Set<String> {
        let ids = try jsonList(runIDs)
        return try database.read { db in
            let runs = db.dialect.list(.integer)
            return Set(try db.column("""
                SELECT artifact_hash FROM stage_inputs i JOIN stage_runs s ON s.id = i.stage_run_id
                WHERE s.run_id IN (\(runs))
                UNION
                SELECT artifact_hash FROM stage_outputs o JOIN stage_runs s ON s.id = o.stage_run_id
                WHERE s.run_id IN (\(runs))
                """, [ids, ids], as: String.self))
        }
    }

    func detail(_ db: SQLConnection, _ record: StageRunRecord) throws -> StageRunDetail {
        func ports(_ table: String) throws -> [String: String] {
            let rows = try db.rows("SELECT name, artifact_hash FROM \(table) WHERE stage_run_id = ?", [record.id])
            return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.get("name"), try $0.get("artifact_hash")) })
        }
        return StageRunDetail(record: record, inputs: try ports("stage_inputs"), outputs: try ports("stage_outputs"))
    }
}
