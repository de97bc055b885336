// The lineage database: opening it (SQLite file or PostgreSQL server, migrations) and every write a
// run makes. Queries live in LineageQueries.swift and LineageGraph.swift, verify and gc support in
// LineageMaintenance.swift, claims in LineageClaims.swift; all of them through the SQL layer
// (Sources/Store/SQL), one set of statements for both databases.
import Foundation

/// The record of what ran, on what, producing what. Safe to share between threads and to open from
/// several processes (and, on PostgreSQL, machines) at once: every write is one transaction.
public final class LineageDatabase: Sendable {
    /// Where the database is: the SQLite file, or the PostgreSQL address without credentials.
    public let path: String
    let database: SQLDatabase
    let liveness: LivenessCheck
    /// How this handle reads the database's clock for leases; tests move it forward instead of sleeping.
    let leaseClock: LeaseClock

    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to date.
    /// - Parameters:
    ///   - identity: the process recorded as owner of the runs this handle starts.
    ///   - foreignHostTimeout: how old a `running` row from another host, whose owner held no lease,
    ///     must be before it counts as interrupted (its pid cannot be probed from here).
    ///   - busyTimeout: how long a write waits for another process's write to end.
    ///   - readOnly: opens an existing database whose schema is up to date for reading only (`tlab
    ///     serve`): SQLite refuses every write, and an older schema fails with `LineageError.schemaOutOfDate`
    ///     instead of being migrated.
    public convenience init(path: String, identity: ProcessIdentity = .current,
                            foreignHostTimeout: TimeInterval = 24 * 3600, busyTimeout: TimeInterval = 10,
                            readOnly: Bool = false) throws {
        try self.init(database: SQLiteDatabase(path: path, busyTimeout: busyTimeout, readOnly: readOnly), identity: identity,
                      foreignHostTimeout: foreignHostTimeout, migrate: !readOnly)
    }

    /// Connects to the PostgreSQL database `connection` names (a libpq URI such as
    /// `postgresql://tlab@db.example.org/tlab`, or a `key=value` string) and brings its schema up to
    /// date. A string holding a password is refused: libpq reads it from PGPASSWORD or ~/.pgpass.
    /// - Parameters:
    ///   - retryBudget: seconds a read or write keeps being retried, with backoff, while the server does
    ///     not answer (a restart, a network outage); 0 fails at once. The first connection, made here,
    ///     is never retried: a wrong address or password fails at once.
    ///   - outageNotice: says when requests start and stop waiting for the server.
    public convenience init(postgres connection: String, identity: ProcessIdentity = .current,
                            foreignHostTimeout: TimeInterval = 24 * 3600, retryBudget: TimeInterval = 0,
                            outageNotice: OutageNotice? = nil) throws {
        try self.init(database: PostgresDatabase(conninfo: connection, retryBudget: retryBudget, outageNotice: outageNotice),
                      identity: identity, foreignHostTimeout: foreignHostTimeout)
    }

    init(database: SQLDatabase, identity: ProcessIdentity, foreignHostTimeout: TimeInterval, migrate: Bool = true) throws {
        self.database = database
        leaseClock = LeaseClock()
        path = database.location
        if migrate {
            try LineageSchema.migrate(database)
        } else if try !LineageSchema.isCurrent(database) {
            throw LineageError.schemaOutOfDate(database: path)
        }
        liveness = LivenessCheck(observer: identity, foreignHostTimeout: foreignHostTimeout)
    }

    var identity: ProcessIdentity { liveness.observer }

    /// Whether the lineage lives in a database server shared by several machines.
    public var isShared: Bool { database.dialect == .postgres }

    /// Starts a run owned by this handle's process. Rows left `running` by dead processes are marked
    /// interrupted first, so a new run never mistakes them for work in progress.
    /// - Parameter submissionID: the submitted pipeline a worker runs, if any.
    public func startRun(pipeline: String, pipelineHash: String, seed: Int64?, toolVersion: String,
                         submissionID: Int64? = nil, at now: Date = Date()) throws -> RunRecord {
        try database.write { db in
            try markInterrupted(db, now: now)
            var run = RunRecord(id: nil, pipeline: pipeline, pipelineHash: pipelineHash, seed: seed, started: now,
                                finished: nil, status: .running, toolVersion: toolVersion, host: identity.host,
                                pid: identity.pid, processStart: identity.startTicks, submissionID: submissionID)
            run.id = try insert(db, run)
            return run
        }
    }

    func insert(_ db: SQLConnection, _ run: RunRecord) throws -> Int64 {
        try db.scalar("""
            INSERT INTO runs (pipeline, pipeline_hash, seed, started, finished, status, tool_version, host, pid,
                              process_start, submission_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, [run.pipeline, run.pipelineHash, run.seed, run.started, run.finished, run.status.rawValue,
                  run.toolVersion, run.host, run.pid, run.processStart, run.submissionID])!
    }

    func insert(_ db: SQLConnection, _ stageRun: StageRunRecord) throws -> Int64 {
        let s = stageRun
        return try db.scalar("""
            INSERT INTO stage_runs (run_id, key, stage, kind, params, status, started, finished, seconds, cache_hit,
                                    error, host, pid, process_start, material)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, [s.runID, s.key, s.stage, s.kind, s.params, s.status.rawValue, s.started, s.finished, s.seconds,
                  s.cacheHit, s.error, s.host, s.pid, s.processStart, s.material])!
    }

    /// Records an artifact, or brings back one that gc or quarantine had marked removed (its blob
    /// was just written again); an artifact already present keeps its first producer.
    func insertArtifact(_ db: SQLConnection, _ artifact: ArtifactRecord, producedBy: Int64?) throws {
        try db.execute("""
            INSERT INTO artifacts (hash, media_type, raw_bytes, stored_bytes, created, produced_by)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (hash) DO UPDATE SET removed = NULL, stored_bytes = excluded.stored_bytes
            WHERE artifacts.removed IS NOT NULL
            """, [artifact.hash, artifact.mediaType.rawValue, artifact.rawBytes, artifact.storedBytes,
                  artifact.created, producedBy])
    }

    /// Ends a run with `.finished`, `.failed` or `.interrupted`.
    public func finishRun(_ id: Int64, status: RunStatus, at now: Date = Date()) throws {
        precondition(status != .running, "finishRun needs a final status")
        try database.write { db in
            guard try db.execute("UPDATE runs SET status = ?, finished = ? WHERE id = ?",
                                 [status.rawValue, now, id]) == 1
            else { throw LineageError.unknownRun(id: id, database: path) }
        }
    }

    /// Records that a stage starts computing, owned by this handle's process.
    /// - Parameters:
    ///   - params: the canonical params as a JSON object.
    ///   - material: everything the key was computed from, as a JSON object (see `StageRunRecord.material`).
    public func startStageRun(runID: Int64, key: String, stage: String, kind: String, params: String,
                              material: String? = nil, at now: Date = Date()) throws -> StageRunRecord {
        try database.write { db in
            try requireRun(db, runID)
            var stageRun = StageRunRecord(
                id: nil, runID: runID, key: key, stage: stage, kind: kind, params: params, status: .running,
                started: now, finished: nil, seconds: nil, cacheHit: false, error: nil,
                host: identity.host, pid: identity.pid, processStart: identity.startTicks, material: material)
            stageRun.id = try insert(db, stageRun)
            return stageRun
        }
    }

    /// Completes a stage run in one transaction: its inputs, its outputs (recording new artifacts, and
    /// reviving removed ones whose blob was written again), its metrics and its duration. Either all of it
    /// is visible to other processes or none.
    /// - Parameters:
    ///   - inputs: port name → hash of an artifact an earlier stage run recorded.
    ///   - metrics: curve points; a repeated (name, step) keeps the last value.
    ///   - claim: the claim the stage computed under. The commit happens only if this process still
    ///     holds it, checked in the same transaction (the claim row locked against a concurrent taker);
    ///     otherwise nothing is recorded and `LineageError.claimLost` is thrown. Under a claim, finishing
    ///     again with the same outputs does nothing: a commit retried after its acknowledgement was
    ///     lost (the server restarted meanwhile) finds its own earlier commit and records nothing twice.
    public func finishStageRun(_ id: Int64, inputs: [String: String], outputs: [String: ArtifactRecord],
                               metrics: [MetricPoint] = [], seconds: Double, claim: StageClaim? = nil,
                               at now: Date = Date()) throws {
        try database.write { db in
            if let claim, try isRecorded(db, id, outputs: outputs, under: claim) { return }
            try requireOpenStageRun(db, id)
            if let claim, try !stillHeld(db, claim) { throw LineageError.claimLost(key: claim.key, stageRun: id) }
            for (name, hash) in inputs.sorted(by: { $0.key < $1.key }) {
                guard try db.row("SELECT 1 FROM artifacts WHERE hash = ?", [hash]) != nil else {
                    throw LineageError.unknownInputArtifact(stageRun: id, input: name, hash: hash)
                }
                try db.execute("INSERT INTO stage_inputs (stage_run_id, name, artifact_hash) VALUES (?, ?, ?)",
                               [id, name, hash])
            }
            for (name, artifact) in outputs.sorted(by: { $0.key < $1.key }) {
                try insertArtifact(db, artifact, producedBy: id)
                try db.execute("INSERT INTO stage_outputs (stage_run_id, name, artifact_hash) VALUES (?, ?, ?)",
                               [id, name, artifact.hash])
            }
            for point in metrics {
                try insertMetric(db, stageRunID: id, point)
            }
            try db.execute("UPDATE stage_runs SET status = 'finished', finished = ?, seconds = ?, error = NULL WHERE id = ?",
                           [now, seconds, id])
        }
    }

    /// Whether stage run `id` finished already with exactly `outputs`, under `claim`, which this
    /// process still holds: its own earlier commit of the same result.
    private func isRecorded(_ db: SQLConnection, _ id: Int64, outputs: [String: ArtifactRecord],
                            under claim: StageClaim) throws -> Bool {
        guard try db.scalar("SELECT status FROM stage_runs WHERE id = ? AND key = ?", [id, claim.key], as: String.self)
                == RunStatus.finished.rawValue,
              try stillHeld(db, claim) else { return false }
        var recorded: [String: String] = [:]
        for row in try db.rows("SELECT name, artifact_hash FROM stage_outputs WHERE stage_run_id = ?", [id]) {
            recorded[try row.get("name")] = try row.get("artifact_hash")
        }
        return recorded == outputs.mapValues(\.hash)
    }

    /// Records curve points of a stage run still running (an epoch's, as it ends), so that readers see
    /// its curves grow; `finishStageRun` may write the same points again.
    public func recordMetrics(stageRunID: Int64, _ points: [MetricPoint]) throws {
        try database.write { db in
            for point in points { try insertMetric(db, stageRunID: stageRunID, point) }
        }
    }

    /// A metric point; a repeated (name, step) keeps the last value. NaN is stored as NULL.
    func insertMetric(_ db: SQLConnection, stageRunID: Int64, _ point: MetricPoint) throws {
        try db.execute("""
            INSERT INTO metrics (stage_run_id, name, step, value) VALUES (?, ?, ?, ?)
            ON CONFLICT (stage_run_id, name, step) DO UPDATE SET value = excluded.value
            """, [stageRunID, point.name, point.step, point.value])
    }

    /// Records that a stage's outputs were reused from `source` (an earlier stage run of the same key):
    /// a finished stage run with `cacheHit` set, whose inputs and outputs are the source's.
    /// - Parameter stage: this pipeline's name for the stage, which may differ from the source's.
    public func recordCacheHit(runID: Int64, stage: String, from source: StageRunDetail, seconds: Double = 0,
                               at now: Date = Date()) throws -> StageRunRecord {
        guard let sourceID = source.record.id else { preconditionFailure("stage run details come from the database") }
        return try database.write { db in
            try requireRun(db, runID)
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
            hit.id = try insert(db, hit)
            for table in ["stage_inputs", "stage_outputs"] {
                try db.execute("""
                    INSERT INTO \(table) (stage_run_id, name, artifact_hash)
                    SELECT CAST(? AS BIGINT), name, artifact_hash FROM \(table) WHERE stage_run_id = ?
                    """, [hit.id, sourceID])
            }
            return hit
        }
    }

    /// Marks a stage run failed with the error that stopped it.
    public func failStageRun(_ id: Int64, error: String, seconds: Double? = nil, at now: Date = Date()) throws {
        try database.write { db in
            try requireOpenStageRun(db, id)
            try db.execute("UPDATE stage_runs SET status = 'failed', error = ?, finished = ?, seconds = ? WHERE id = ?",
                           [error, now, seconds, id])
        }
    }

    private func requireRun(_ db: SQLConnection, _ runID: Int64) throws {
        guard try db.row("SELECT 1 FROM runs WHERE id = ?", [runID]) != nil else {
            throw LineageError.unknownRun(id: runID, database: path)
        }
    }

    /// A stage run can end once. `interrupted` still may: the mark can be wrong for a row of another
    /// host that outlived `foreignHostTimeout`, and its owner's result is then still welcome.
    private func requireOpenStageRun(_ db: SQLConnection, _ id: Int64) throws {
        guard let text = try db.scalar("SELECT status FROM stage_runs WHERE id = ?", [id], as: String.self),
              let status = RunStatus(rawValue: text)
        else { throw LineageError.unknownStageRun(id: id, database: path) }
        guard status == .running || status == .interrupted else {
            throw LineageError.stageRunAlreadyEnded(id: id, status: status)
        }
    }

    /// Marks as interrupted every run and stage run left `running` by a process that is gone: on this
    /// host, its pid no longer exists or now belongs to a process started at another time; on another
    /// host, its lease expired or passed to another process, or (for an owner that held none) it
    /// started longer ago than `foreignHostTimeout`. Returns the stage runs it marked.
    @discardableResult
    public func markInterrupted(at now: Date = Date()) throws -> [StageRunRecord] {
        try database.write { db in try markInterrupted(db, now: now) }
    }

    @discardableResult
    private func markInterrupted(_ db: SQLConnection, now: Date) throws -> [StageRunRecord] {
        let leases = try leaseStates(db)
        let runs = try db.rows("SELECT * FROM runs WHERE status = 'running'").map(RunRecord.init)
        for run in runs where isGone(host: run.host, pid: run.pid, processStart: run.processStart, started: run.started,
                                     lease: leases[Self.runClaimKey(run.id!)], now: now) {
            try db.execute("UPDATE runs SET status = 'interrupted', finished = ? WHERE id = ?", [now, run.id])
        }
        var marked: [StageRunRecord] = []
        let stageRuns = try db.rows("SELECT * FROM stage_runs WHERE status = 'running'").map(StageRunRecord.init)
        for var stageRun in stageRuns
        where isGone(host: stageRun.host, pid: stageRun.pid, processStart: stageRun.processStart,
                     started: stageRun.started, lease: leases[stageRun.key], now: now) {
            stageRun.status = .interrupted
            stageRun.finished = now
            stageRun.error = "process \(stageRun.pid) on \(stageRun.host) ended before the stage finished"
            try db.execute("UPDATE stage_runs SET status = ?, finished = ?, error = ? WHERE id = ?",
                           [stageRun.status.rawValue, now, stageRun.error, stageRun.id])
            marked.append(stageRun)
        }
        return marked
    }

    private func isGone(host: String, pid: Int32, processStart: Int64?, started: Date, lease: LeaseState?,
                        now: Date) -> Bool {
        if host != identity.host, let lease {
            // The owner's lease says more than its age: held and live means alive, anything else gone.
            return !(lease.live && lease.host == host && lease.pid == pid && lease.processStart == processStart)
        }
        return liveness.ownerIsGone(host: host, pid: pid, processStart: processStart, started: started, now: now)
    }
}
