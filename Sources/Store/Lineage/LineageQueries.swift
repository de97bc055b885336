// Read queries over the lineage database: cache lookup, runs and stage runs, metrics, artifact lookup.
// The recursive ancestor/descendant queries are in LineageGraph.swift.
import Foundation
import GRDB

extension LineageDatabase {
    /// The cache lookup: the newest finished stage run of `key` whose outputs are all still in the store
    /// (none removed by gc or quarantine), with its outputs. The caller still checks that the blobs are
    /// present and intact before reusing them.
    public func cachedStageRun(key: String) throws -> StageRunDetail? {
        try pool.read { db in
            let record = try StageRunRecord.fetchOne(db, sql: """
                SELECT * FROM stage_runs s
                WHERE s.key = ? AND \(Self.isReusable)
                ORDER BY s.id DESC LIMIT 1
                """, arguments: [key])
            return try record.map { try detail(db, $0) }
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
        try pool.read { db in
            let record = try StageRunRecord.fetchOne(db, sql: """
                SELECT s.* FROM stage_runs s JOIN runs r ON r.id = s.run_id
                WHERE s.stage = ? AND s.status = 'finished' AND (? IS NULL OR r.pipeline = ?)
                ORDER BY s.id DESC LIMIT 1
                """, arguments: [stage, pipeline, pipeline])
            return try record.map { try detail(db, $0) }
        }
    }

    /// One stage run with its inputs and outputs, or nil if there is none with this id.
    public func stageRun(id: Int64) throws -> StageRunDetail? {
        try pool.read { db in
            try StageRunRecord.fetchOne(db, key: id).map { try detail(db, $0) }
        }
    }

    /// Runs, newest first.
    public func runs(limit: Int? = nil) throws -> [RunRecord] {
        try pool.read { db in
            // LIMIT -1 is SQLite's "no limit".
            try RunRecord.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit ?? -1])
        }
    }

    public func run(id: Int64) throws -> RunRecord? {
        try pool.read { db in try RunRecord.fetchOne(db, key: id) }
    }

    /// The stage runs of a run, in the order they started.
    public func stageRuns(ofRun runID: Int64) throws -> [StageRunRecord] {
        try pool.read { db in
            try StageRunRecord.fetchAll(db, sql: "SELECT * FROM stage_runs WHERE run_id = ? ORDER BY id",
                                        arguments: [runID])
        }
    }

    /// The curve points a stage run recorded, by metric name then step.
    public func metrics(ofStageRun stageRunID: Int64) throws -> [MetricPoint] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, step, value FROM metrics WHERE stage_run_id = ? ORDER BY name, step",
                             arguments: [stageRunID]).map { row in
                MetricPoint(name: row["name"], step: row["step"], value: (row["value"] as Double?) ?? .nan)
            }
        }
    }

    /// The one artifact whose hash starts with `prefix` (case-insensitive hex), as `git` resolves short ids.
    public func artifact(hashPrefix prefix: String) throws -> ArtifactRecord {
        let hex = prefix.lowercased()
        guard (1...64).contains(hex.count), hex.allSatisfy({ $0.isHexDigit }) else {
            throw LineageError.invalidHashPrefix(prefix)
        }
        // GLOB (unlike LIKE) is case-sensitive and can use the primary-key index; the prefix is plain
        // hex, so it holds no GLOB metacharacters.
        let matches = try pool.read { db in
            try ArtifactRecord.fetchAll(db, sql: "SELECT * FROM artifacts WHERE hash GLOB ? ORDER BY hash LIMIT 10",
                                        arguments: [hex + "*"])
        }
        guard let first = matches.first else { throw LineageError.noArtifactMatches(prefix: prefix, database: path) }
        guard matches.count == 1 else {
            throw LineageError.ambiguousPrefix(prefix: prefix, candidates: matches.map(\.hash))
        }
        return first
    }

    /// Every artifact hash that a stage run of these runs read or wrote.
    public func artifactHashes(referencedByRuns runIDs: [Int64]) throws -> Set<String> {
        let idList = try jsonArray(runIDs)
        return try pool.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT artifact_hash FROM stage_inputs i JOIN stage_runs s ON s.id = i.stage_run_id
                WHERE s.run_id IN (SELECT value FROM json_each(?))
                UNION
                SELECT artifact_hash FROM stage_outputs o JOIN stage_runs s ON s.id = o.stage_run_id
                WHERE s.run_id IN (SELECT value FROM json_each(?))
                """, arguments: [idList, idList]))
        }
    }

    /// A JSON array for `json_each(?)`, which takes a list of any length as a single SQL argument.
    func jsonArray<T: Encodable>(_ values: [T]) throws -> String {
        String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
    }

    func detail(_ db: Database, _ record: StageRunRecord) throws -> StageRunDetail {
        func ports(_ table: String) throws -> [String: String] {
            let rows = try Row.fetchAll(db, sql: "SELECT name, artifact_hash FROM \(table) WHERE stage_run_id = ?",
                                        arguments: [record.id])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["name"] as String, $0["artifact_hash"] as String) })
        }
        return StageRunDetail(record: record, inputs: try ports("stage_inputs"), outputs: try ports("stage_outputs"))
    }
}
