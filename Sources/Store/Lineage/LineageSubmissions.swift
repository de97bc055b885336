// Submitted pipelines: a pipeline file's text and its `-S` overrides recorded in lineage, so that any
// worker on any machine can rebuild the plan and take its ready stages (`tlab run --submit`,
// `tlab worker`).
import Foundation

/// A pipeline submitted for workers.
public struct SubmissionRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Workers take its stages.
        case open
        /// A worker ran every stage to the end (computed or cached).
        case finished
        /// A worker's run of it failed; workers leave it alone (`tlab run` it to see why, or submit again).
        case failed
    }

    public var id: Int64
    /// The plan's name.
    public var pipeline: String
    /// As `RunRecord.pipelineHash`: over the file and the overrides.
    public var pipelineHash: String
    /// The file's path as submitted, for messages.
    public var file: String
    public var fileText: String
    public var overrides: [String]
    public var submitted: Date
    public var status: Status
    public var finished: Date?
    /// The machine it was submitted from.
    public var host: String

    init(row: SQLRow) throws {
        id = try row.get("id")
        pipeline = try row.get("pipeline")
        pipelineHash = try row.get("pipeline_hash")
        file = try row.get("file")
        fileText = try row.get("file_text")
        let overridesJSON: String = try row.get("overrides")
        overrides = (try? JSONDecoder().decode([String].self, from: Data(overridesJSON.utf8))) ?? []
        submitted = try row.get("submitted")
        let status: String = try row.get("status")
        self.status = Status(rawValue: status) ?? .failed
        finished = try row.get("finished")
        host = try row.get("host")
    }
}

extension LineageDatabase {
    /// Records a pipeline for workers to run.
    public func submit(pipeline: String, pipelineHash: String, file: String, fileText: String, overrides: [String],
                       at now: Date = Date()) throws -> SubmissionRecord {
        try database.write { db in
            let row = try db.row("""
                INSERT INTO submissions (pipeline, pipeline_hash, file, file_text, overrides, submitted, status, host)
                VALUES (?, ?, ?, ?, ?, ?, 'open', ?) RETURNING *
                """, [pipeline, pipelineHash, file, fileText, try jsonList(overrides), now, identity.host])
            return try SubmissionRecord(row: row!)
        }
    }

    /// Submissions workers may still take stages from, oldest first.
    public func openSubmissions() throws -> [SubmissionRecord] {
        try database.read { db in
            try db.rows("SELECT * FROM submissions WHERE status = 'open' ORDER BY id").map(SubmissionRecord.init)
        }
    }

    public func submission(id: Int64) throws -> SubmissionRecord? {
        try database.read { db in try db.row("SELECT * FROM submissions WHERE id = ?", [id]).map(SubmissionRecord.init) }
    }

    /// Closes an open submission; the first worker to close it decides its status, later calls do nothing.
    public func closeSubmission(_ id: Int64, status: SubmissionRecord.Status, at now: Date = Date()) throws {
        precondition(status != .open, "a submission closes as finished or failed")
        try database.write { db in
            _ = try db.execute("UPDATE submissions SET status = ?, finished = ? WHERE id = ? AND status = 'open'",
                           [status.rawValue, now, id])
        }
    }
}
