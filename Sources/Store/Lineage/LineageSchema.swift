// The lineage database schema, as migrations in both dialects. Never edit a shipped migration: add
// the next one. SQLite stores keep GRDB's migration table (`grdb_migrations`), so stores written
// before PostgreSQL support open unchanged; PostgreSQL gets the same migrations by name.
import GRDB

enum LineageSchema {
    struct Migration {
        let name: String
        let sqlite: String
        let postgres: String
    }

    static let migrations = [
        Migration(name: "v1", sqlite: v1SQLite, postgres: v1Postgres),
        Migration(name: "v2", sqlite: v2SQLite, postgres: v2Postgres),
        Migration(name: "v3", sqlite: v3(.sqlite), postgres: v3(.postgres)),
    ]

    /// Brings `database` up to the latest migration; safe when several processes open it at once.
    static func migrate(_ database: SQLDatabase) throws {
        switch database {
        case let sqlite as SQLiteDatabase:
            try sqlite.exclusively { try migrator.migrate(sqlite.pool) }
        default:
            try database.write { db in
                // One migrating process at a time; the lock ends with the transaction.
                try db.execute("SELECT pg_advisory_xact_lock(7403311)")
                try db.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        name    TEXT PRIMARY KEY,
                        applied TIMESTAMPTZ NOT NULL DEFAULT now())
                    """)
                let applied = Set(try db.column("SELECT name FROM schema_migrations", as: String.self))
                for migration in migrations where !applied.contains(migration.name) {
                    try db.execute(migration.postgres)
                    try db.execute("INSERT INTO schema_migrations (name) VALUES (?)", [migration.name])
                }
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sqlite) }
        }
        return migrator
    }

    /// Statuses are checked by the database too, so a hand edit or an older tool cannot store a value
    /// the Swift enum cannot read back.
    private static let v1SQLite = """
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

    /// v1 in PostgreSQL's types: identity columns, TIMESTAMPTZ, BOOLEAN, DOUBLE PRECISION. Params
    /// stay TEXT so they read back byte for byte as recorded.
    private static let v1Postgres = """
        CREATE TABLE runs (
            id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            pipeline      TEXT NOT NULL,
            pipeline_hash TEXT NOT NULL,
            seed          BIGINT,
            started       TIMESTAMPTZ NOT NULL,
            finished      TIMESTAMPTZ,
            status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
            tool_version  TEXT NOT NULL,
            host          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            process_start BIGINT
        );
        CREATE INDEX runs_by_pipeline ON runs(pipeline, id);

        CREATE TABLE stage_runs (
            id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            run_id        BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key           TEXT NOT NULL,
            stage         TEXT NOT NULL,
            kind          TEXT NOT NULL,
            params        TEXT NOT NULL CHECK (params::jsonb IS NOT NULL),
            status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
            started       TIMESTAMPTZ NOT NULL,
            finished      TIMESTAMPTZ,
            seconds       DOUBLE PRECISION,
            cache_hit     BOOLEAN NOT NULL DEFAULT FALSE,
            error         TEXT,
            host          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            process_start BIGINT
        );
        CREATE INDEX stage_runs_by_key ON stage_runs(key, status, id);
        CREATE INDEX stage_runs_by_stage ON stage_runs(stage, status, id);
        CREATE INDEX stage_runs_by_run ON stage_runs(run_id);
        CREATE INDEX stage_runs_running ON stage_runs(status) WHERE status = 'running';

        CREATE TABLE artifacts (
            hash          TEXT PRIMARY KEY CHECK (length(hash) = 64),
            media_type    TEXT NOT NULL,
            raw_bytes     BIGINT NOT NULL,
            stored_bytes  BIGINT NOT NULL,
            created       TIMESTAMPTZ NOT NULL,
            produced_by   BIGINT REFERENCES stage_runs(id) ON DELETE SET NULL,
            removed       TIMESTAMPTZ
        );
        CREATE INDEX artifacts_by_producer ON artifacts(produced_by);

        CREATE TABLE stage_inputs (
            stage_run_id  BIGINT NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
            PRIMARY KEY (stage_run_id, name)
        );
        CREATE INDEX stage_inputs_by_artifact ON stage_inputs(artifact_hash);

        CREATE TABLE stage_outputs (
            stage_run_id  BIGINT NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
            PRIMARY KEY (stage_run_id, name)
        );
        CREATE INDEX stage_outputs_by_artifact ON stage_outputs(artifact_hash);

        CREATE TABLE metrics (
            stage_run_id  BIGINT NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            step          INTEGER NOT NULL,
            value         DOUBLE PRECISION,  -- NULL stands for NaN, as in SQLite
            PRIMARY KEY (stage_run_id, name, step)
        );
        """

    /// Checkpoints of training stage runs, recorded as they are written so they outlive a crash, and
    /// each stage run's key material (kind, versions, params, inputs as JSON) so a later run can say
    /// which of them changed.
    private static let v2SQLite = """
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

    private static let v2Postgres = """
        CREATE TABLE checkpoints (
            stage_run_id  BIGINT NOT NULL REFERENCES stage_runs(id) ON DELETE CASCADE,
            key           TEXT NOT NULL,
            step          INTEGER NOT NULL,
            artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
            created       TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (stage_run_id, step)
        );
        CREATE INDEX checkpoints_by_key ON checkpoints(key, step);
        CREATE INDEX checkpoints_by_artifact ON checkpoints(artifact_hash);

        ALTER TABLE stage_runs ADD COLUMN material TEXT CHECK (material IS NULL OR material::jsonb IS NOT NULL);
        """

    /// Coordination between processes and machines: claims (a lease per stage key, or per run as
    /// `run:<id>`, renewed by its holder's heartbeat) and submitted pipelines that workers take
    /// stages from. The columns are the same in both dialects but for the types of ids and times.
    private static func v3(_ dialect: SQLDialect) -> String {
        let (id, integer, time) = dialect == .sqlite
            ? ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "DATETIME")
            : ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT", "TIMESTAMPTZ")
        return """
            CREATE TABLE claims (
                key           TEXT PRIMARY KEY NOT NULL,
                token         TEXT NOT NULL,
                host          TEXT NOT NULL,
                pid           INTEGER NOT NULL,
                process_start \(integer),
                claimed       \(time) NOT NULL,
                expires       \(time) NOT NULL
            );

            CREATE TABLE submissions (
                id            \(id),
                pipeline      TEXT NOT NULL,
                pipeline_hash TEXT NOT NULL,
                file          TEXT NOT NULL,
                file_text     TEXT NOT NULL,
                overrides     TEXT NOT NULL,
                submitted     \(time) NOT NULL,
                status        TEXT NOT NULL CHECK (status IN ('open', 'finished', 'failed')),
                finished      \(time),
                host          TEXT NOT NULL
            );
            CREATE INDEX submissions_open ON submissions(status, id);

            ALTER TABLE runs ADD COLUMN submission_id \(integer) REFERENCES submissions(id);
            """
    }
}
