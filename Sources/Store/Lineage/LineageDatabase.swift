// The SQLite lineage database: opening it (WAL, busy timeout, migrations) and every write a run makes.
// Queries live in LineageQueries.swift and LineageGraph.swift, verify and gc support in LineageMaintenance.swift.
import Foundation
import GRDB

/// The record of what ran, on what, producing what. Safe to share between threads and to open from
/// several processes at once: SQLite's WAL lets readers run beside the one writer, and writers wait up
/// to the busy timeout for each other instead of failing.
public final class LineageDatabase: Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    let liveness: LivenessCheck

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Parameters:
    ///   - identity: the process recorded as owner of the runs this handle starts.
    ///   - foreignHostTimeout: how old a `running` row from another host must be before it counts as
    ///     interrupted (its pid cannot be probed from here).
    ///   - busyTimeout: how long a write waits for another process's write to end.
    public init(path: String, identity: ProcessIdentity = .current,
                foreignHostTimeout: TimeInterval = 24 * 3600, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        pool = try DatabasePool(path: path, configuration: configuration)
        try LineageSchema.migrator.migrate(pool)
        liveness = LivenessCheck(observer: identity, foreignHostTimeout: foreignHostTimeout)
    }

    var identity: ProcessIdentity { liveness.observer }

    /// Starts a run owned by this handle's process. Rows left `running` by dead processes are marked
    /// interrupted first, so a new run never mistakes them for work in progress.
    public func startRun(pipeline: String, pipelineHash: String, seed: Int64?, toolVersion: String,
                         at now: Date = Date()) throws -> RunRecord {
        try pool.write { db in
            try markInterrupted(db, now: now)
            var run = RunRecord(id: nil, pipeline: pipeline, pipelineHash: pipelineHash, seed: seed,
                                started: now, finished: nil, status: .running, toolVersion: toolVersion,
                                host: identity.host, pid: identity.pid, processStart: identity.startTicks)
            try run.insert(db)
            return run
        }
    }

    /// Ends a run with `.finished`, `.failed` or `.interrupted`.
    public func finishRun(_ id: Int64, status: RunStatus, at now: Date = Date()) throws {
        precondition(status != .running, "finishRun needs a final status")
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished = ? WHERE id = ?",
                           arguments: [status.rawValue, now, id])
            guard db.changesCount == 1 else { throw LineageError.unknownRun(id: id, database: path) }
        }
    }

    /// Records that a stage starts computing, owned by this handle's process.
    /// - Parameters:
    ///   - params: the canonical params as a JSON object.
    ///   - material: everything the key was computed from, as a JSON object (see `StageRunRecord.material`).
    public func startStageRun(runID: Int64, key: String, stage: String, kind: String, params: String,
                              material: String? = nil, at now: Date = Date()) throws -> StageRunRecord {
        try pool.write { db in
            guard try RunRecord.exists(db, key: runID) else { throw LineageError.unknownRun(id: runID, database: path) }
            var stageRun = StageRunRecord(
                id: nil, runID: runID, key: key, stage: stage, kind: kind, params: params, status: .running,
                started: now, finished: nil, seconds: nil, cacheHit: false, error: nil,
                host: identity.host, pid: identity.pid, processStart: identity.startTicks, material: material)
            try stageRun.insert(db)
            return stageRun
        }
    }

    /// Completes a stage run in one transaction: its inputs, its outputs (recording new artifacts, and
    /// reviving removed ones whose blob was written again), its metrics and its duration. Either all of it
    /// is visible to other processes or none.
    /// - Parameters:
    ///   - inputs: port name → hash of an artifact an earlier stage run recorded.
    ///   - metrics: curve points; a repeated (name, step) keeps the last value.
    public func finishStageRun(_ id: Int64, inputs: [String: String], outputs: [String: ArtifactRecord],
                               metrics: [MetricPoint] = [], seconds: Double, at now: Date = Date()) throws {
        try pool.write { db in
            try requireOpenStageRun(db, id)
            for (name, hash) in inputs.sorted(by: { $0.key < $1.key }) {
                guard try ArtifactRecord.exists(db, key: hash) else {
                    throw LineageError.unknownInputArtifact(stageRun: id, input: name, hash: hash)
                }
                try db.execute(sql: "INSERT INTO stage_inputs (stage_run_id, name, artifact_hash) VALUES (?, ?, ?)",
                               arguments: [id, name, hash])
            }
            for (name, artifact) in outputs.sorted(by: { $0.key < $1.key }) {
                try db.execute(sql: """
                    INSERT INTO artifacts (hash, media_type, raw_bytes, stored_bytes, created, produced_by)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (hash) DO UPDATE SET removed = NULL, stored_bytes = excluded.stored_bytes
                    WHERE artifacts.removed IS NOT NULL
                    """, arguments: [artifact.hash, artifact.mediaType.rawValue, artifact.rawBytes, artifact.storedBytes,
                                     artifact.created, id])
                try db.execute(sql: "INSERT INTO stage_outputs (stage_run_id, name, artifact_hash) VALUES (?, ?, ?)",
                               arguments: [id, name, artifact.hash])
            }
            for point in metrics {
                try db.execute(sql: "INSERT OR REPLACE INTO metrics (stage_run_id, name, step, value) VALUES (?, ?, ?, ?)",
                               arguments: [id, point.name, point.step, point.value.isNaN ? nil : point.value])
            }
            try db.execute(sql: """
                UPDATE stage_runs SET status = 'finished', finished = ?, seconds = ?, error = NULL WHERE id = ?
                """, arguments: [now, seconds, id])
        }
    }

    /// Records that a stage's outputs were reused from `source` (an earlier stage run of the same key):
    /// a finished stage run with `cacheHit` set, whose inputs and outputs are the source's.
    /// - Parameter stage: this pipeline's name for the stage, which may differ from the source's.
    public func recordCacheHit(runID: Int64, stage: String, from source: StageRunDetail, seconds: Double = 0,
                               at now: Date = Date()) throws -> StageRunRecord {
        guard let sourceID = source.record.id else { preconditionFailure("stage run details come from the database") }
        return try pool.write { db in
            guard try RunRecord.exists(db, key: runID) else { throw LineageError.unknownRun(id: runID, database: path) }
            var hit = source.record
            hit.id = nil
            hit.runID = runID
            hit.stage = stage
            hit.status = .finished
            hit.started = now
            hit.finished = now
            hit.seconds = seconds
            hit.cacheHit = true
            hit.error = nil
            (hit.host, hit.pid, hit.processStart) = (identity.host, identity.pid, identity.startTicks)
            try hit.insert(db)
            for table in ["stage_inputs", "stage_outputs"] {
                try db.execute(sql: """
                    INSERT INTO \(table) (stage_run_id, name, artifact_hash)
                    SELECT ?, name, artifact_hash FROM \(table) WHERE stage_run_id = ?
                    """, arguments: [hit.id, sourceID])
            }
            return hit
        }
    }

    /// Marks a stage run failed with the error that stopped it.
    public func failStageRun(_ id: Int64, error: String, seconds: Double? = nil, at now: Date = Date()) throws {
        try pool.write { db in
            try requireOpenStageRun(db, id)
            try db.execute(sql: """
                UPDATE stage_runs SET status = 'failed', error = ?, finished = ?, seconds = ? WHERE id = ?
                """, arguments: [error, now, seconds, id])
        }
    }

    /// A stage run can end once. `interrupted` still may: the mark can be wrong for a row of another
    /// host that outlived `foreignHostTimeout`, and its owner's result is then still welcome.
    private func requireOpenStageRun(_ db: Database, _ id: Int64) throws {
        guard let status = try RunStatus.fetchOne(db, sql: "SELECT status FROM stage_runs WHERE id = ?", arguments: [id])
        else { throw LineageError.unknownStageRun(id: id, database: path) }
        guard status == .running || status == .interrupted else {
            throw LineageError.stageRunAlreadyEnded(id: id, status: status)
        }
    }

    /// Marks as interrupted every run and stage run left `running` by a process that is gone: on this
    /// host, its pid no longer exists or now belongs to a process started at another time; on another
    /// host, it started longer ago than `foreignHostTimeout`. Returns the stage runs it marked.
    @discardableResult
    public func markInterrupted(at now: Date = Date()) throws -> [StageRunRecord] {
        try pool.write { db in try markInterrupted(db, now: now) }
    }

    @discardableResult
    private func markInterrupted(_ db: Database, now: Date) throws -> [StageRunRecord] {
        let runs = try RunRecord.fetchAll(db, sql: "SELECT * FROM runs WHERE status = 'running'")
        for run in runs where isGone(host: run.host, pid: run.pid, processStart: run.processStart, started: run.started, now: now) {
            try db.execute(sql: "UPDATE runs SET status = 'interrupted', finished = ? WHERE id = ?",
                           arguments: [now, run.id])
        }
        var marked: [StageRunRecord] = []
        let stageRuns = try StageRunRecord.fetchAll(db, sql: "SELECT * FROM stage_runs WHERE status = 'running'")
        for var stageRun in stageRuns
        where isGone(host: stageRun.host, pid: stageRun.pid, processStart: stageRun.processStart,
                     started: stageRun.started, now: now) {
            stageRun.status = .interrupted
            stageRun.finished = now
            stageRun.error = "process \(stageRun.pid) on \(stageRun.host) ended before the stage finished"
            try stageRun.update(db)
            marked.append(stageRun)
        }
        return marked
    }

    private func isGone(host: String, pid: Int32, processStart: Int64?, started: Date, now: Date) -> Bool {
        liveness.ownerIsGone(host: host, pid: pid, processStart: processStart, started: started, now: now)
    }
}
