// The lineage database schema, as GRDB migrations. Never edit a shipped migration: add the next one.
import GRDB

enum LineageSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
        }
        return migrator
    }

    /// Statuses are checked by SQLite too, so a hand edit or an older tool cannot store a value the
    /// Swift enum cannot read back.
    private static let v1 = """
        CREATE TABLE runs (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            pipeline      TEXT NOT NULL,
            pipeline_hash TEXT NOT NULL,
            seed          INTEGER,
            started       DATETIME NOT NULL,
            finished      DATETIME,
            status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
            tool_version  TEXT NOT NULL,
            host          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            process_start INTEGER
        );
        CREATE INDEX runs_by_pipeline ON runs(pipeline, id);

        CREATE TABLE stage_runs (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key           TEXT NOT NULL,
            stage         TEXT NOT NULL,
            kind          TEXT NOT NULL,
            params        TEXT NOT NULL CHECK (json_valid(params)),
            status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
            started       DATETIME NOT NULL,
            finished      DATETIME,
            seconds       REAL,
            cache_hit     BOOLEAN NOT NULL DEFAULT 0,
            error         TEXT,
            host          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            process_start INTEGER
        );
        CREATE INDEX stage_runs_by_key ON stage_runs(key, status, id);
        CREATE INDEX stage_runs_by_stage ON stage_runs(stage, status, id);
        CREATE INDEX stage_runs_by_run ON stage_runs(run_id);
        CREATE INDEX stage_runs_running ON stage_runs(status) WHERE status = 'running';

        CREATE TABLE artifacts (
            hash          TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
            media_type    TEXT NOT NULL,
            raw_bytes     INTEGER NOT NULL,
            stored_bytes  INTEGER NOT NULL,
            created       DATETIME NOT NULL,
            produced_by   INTEGER REFERENCES stage_runs(id) ON DELETE SET NULL,
            removed       DATETIME
        );
        CREATE INDEX artifacts_by_producer ON artifacts(produced_by);

        CREATE TABLE stage_inputs (
            stage_run_id  INTEGER NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
            PRIMARY KEY (stage_run_id, name)
        );
        CREATE INDEX stage_inputs_by_artifact ON stage_inputs(artifact_hash);

        CREATE TABLE stage_outputs (
            stage_run_id  INTEGER NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
            PRIMARY KEY (stage_run_id, name)
        );
        CREATE INDEX stage_outputs_by_artifact ON stage_outputs(artifact_hash);

        CREATE TABLE metrics (
            stage_run_id  INTEGER NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            step          INTEGER NOT NULL,
            value         REAL,  -- NULL stands for NaN, which SQLite cannot store
            PRIMARY KEY (stage_run_id, name, step)
        );
        """

    /// Checkpoints of training stage runs, recorded as they are written so they outlive a crash, and
    /// each stage run's key material (kind, versions, params, inputs as JSON) so a later run can say
    /// which of them changed.
    private static let v2 = """
        CREATE TABLE checkpoints (
            stage_run_id  INTEGER NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            key           TEXT NOT NULL,
            step          INTEGER NOT NULL,
            artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
            created       DATETIME NOT NULL,
            PRIMARY KEY (stage_run_id, step)
        );
        CREATE INDEX checkpoints_by_key ON checkpoints(key, step);
        CREATE INDEX checkpoints_by_artifact ON checkpoints(artifact_hash);

        ALTER TABLE stage_runs ADD COLUMN material TEXT CHECK (material IS NULL OR json_valid(material));
        """
}
