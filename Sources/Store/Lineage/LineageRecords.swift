// The rows of the lineage database as Swift values: runs, stage runs, artifacts and metric points,
// each read from a result row by its column names (`init(row:)`), the same in SQLite and PostgreSQL.
import Foundation

/// Where a run or a stage run stands. `interrupted` is set by someone else than the owner: the process
/// that started it died (or vanished with its host) before it could finish or fail.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running, finished, failed, interrupted
}

/// One `tlab run` of one pipeline file.
public struct RunRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var pipeline: String
    /// SHA-256 of the pipeline file, and of its `-S` overrides when there were any, so two runs of
    /// "the same" name can be told apart.
    public var pipelineHash: String
    public var seed: Int64?
    public var started: Date
    public var finished: Date?
    public var status: RunStatus
    public var toolVersion: String
    public var host: String
    public var pid: Int32
    /// The owner's start time in clock ticks since boot (Linux), to tell a reused pid from the owner.
    public var processStart: Int64?
    /// The submitted pipeline this run worked on (`tlab worker`), nil for a plain `tlab run`.
    public var submissionID: Int64?

}

/// One execution (or cache reuse) of one stage inside a run.
public struct StageRunRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var runID: Int64
    /// The stage's cache key: SHA-256 over kind, version, params and input hashes.
    public var key: String
    public var stage: String
    public var kind: String
    /// The canonical params as a JSON object.
    public var params: String
    public var status: RunStatus
    public var started: Date
    public var finished: Date?
    public var seconds: Double?
    /// True when the outputs were reused from an earlier stage run of the same key.
    public var cacheHit: Bool
    public var error: String?
    public var host: String
    public var pid: Int32
    public var processStart: Int64?
    /// What the key was computed from, as the pipeline recorded it (JSON), so a later run can say
    /// which parameter, input or version changed; nil for rows written before schema v2.
    public var material: String?

}

extension RunRecord {
    init(row: SQLRow) throws {
        id = try row.get("id")
        pipeline = try row.get("pipeline")
        pipelineHash = try row.get("pipeline_hash")
        seed = try row.get("seed")
        started = try row.get("started")
        finished = try row.get("finished")
        status = try RunStatus.decode(row, "status")
        toolVersion = try row.get("tool_version")
        host = try row.get("host")
        pid = try row.get("pid")
        processStart = try row.get("process_start")
        submissionID = try row.get("submission_id")
    }
}

extension StageRunRecord {
    init(row: SQLRow) throws {
        id = try row.get("id")
        runID = try row.get("run_id")
        key = try row.get("key")
        stage = try row.get("stage")
        kind = try row.get("kind")
        params = try row.get("params")
        status = try RunStatus.decode(row, "status")
        started = try row.get("started")
        finished = try row.get("finished")
        seconds = try row.get("seconds")
        cacheHit = try row.get("cache_hit")
        error = try row.get("error")
        host = try row.get("host")
        pid = try row.get("pid")
        processStart = try row.get("process_start")
        material = try row.get("material")
    }
}

extension RunStatus {
    static func decode(_ row: SQLRow, _ column: String) throws -> RunStatus {
        let text: String = try row.get(column)
        guard let status = RunStatus(rawValue: text) else {
            throw SQLError.column(name: column, problem: "holds '\(text)', not a run status")
        }
        return status
    }
}

/// A blob the lineage knows about, named by the SHA-256 of its uncompressed bytes.
public struct ArtifactRecord: Codable, Sendable, Equatable {
    public var hash: String
    public var mediaType: MediaType
    public var rawBytes: Int64
    public var storedBytes: Int64
    public var created: Date
    /// The stage run that first wrote this artifact; later cache hits and identical recomputations
    /// leave it alone, so lineage shows each artifact's origin once.
    public var producedBy: Int64?
    /// When gc deleted the blob or verify quarantined it; nil while the blob is meant to be in the store.
    public var removed: Date?

    init(row: SQLRow) throws {
        hash = try row.get("hash")
        let type: String = try row.get("media_type")
        guard let mediaType = MediaType(rawValue: type) else {
            throw SQLError.column(name: "media_type", problem: "holds '\(type)', not a media type this tool knows")
        }
        self.mediaType = mediaType
        rawBytes = try row.get("raw_bytes")
        storedBytes = try row.get("stored_bytes")
        created = try row.get("created")
        producedBy = try row.get("produced_by")
        removed = try row.get("removed")
    }

    /// An artifact about to be recorded as a stage output (producer and sweep state are the database's).
    public init(hash: String, mediaType: MediaType, rawBytes: Int64, storedBytes: Int64, created: Date = Date()) {
        self.hash = hash
        self.mediaType = mediaType
        self.rawBytes = rawBytes
        self.storedBytes = storedBytes
        self.created = created
    }

    /// An artifact about to be recorded for a blob just put into the store.
    public init(blob: BlobInfo, mediaType: MediaType, created: Date = Date()) {
        self.init(hash: blob.hash, mediaType: mediaType, rawBytes: blob.rawBytes, storedBytes: blob.storedBytes,
                  created: created)
    }
}

/// One point of a curve: a named metric at a step (epoch, batch), e.g. `("val_loss", 3, 0.41)`.
public struct MetricPoint: Sendable, Equatable {
    public var name: String
    public var step: Int
    /// May be NaN (a diverged loss): SQLite stores NaN as NULL, and reading maps NULL back to NaN.
    public var value: Double

    public init(name: String, step: Int, value: Double) {
        self.name = name
        self.step = step
        self.value = value
    }

    public static func == (a: MetricPoint, b: MetricPoint) -> Bool {
        a.name == b.name && a.step == b.step && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}

/// A stage run with its named inputs and outputs (port name → artifact hash).
public struct StageRunDetail: Sendable, Equatable {
    public var record: StageRunRecord
    public var inputs: [String: String]
    public var outputs: [String: String]
}
