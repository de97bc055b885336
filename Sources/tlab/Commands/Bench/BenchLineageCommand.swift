// `tlab bench lineage`: what recording a stage costs in a lineage database, per stage as a run records it.
import ArgumentParser
import Foundation
import Store

struct BenchLineage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Record stages in SQLite (and PostgreSQL with --postgres) as a run does; print ms per stage.",
        discussion: """
            Each stage is a claim, a start, a finish with 2 inputs, 3 outputs and 36 metric points, a
            release, and a cache hit of it. SQLite is a scratch file in --dir (removed afterwards); with
            --postgres the rows go into that database, in a run of pipeline `bench-lineage`, so name a
            scratch database. Credentials come from PGPASSWORD or ~/.pgpass, as for a shared store.

            EXAMPLE:
              tlab bench lineage --stages 60 --postgres postgresql://tlab@127.0.0.1/bench
            """
    )

    @Option(help: "Stages to record in each database.")
    var stages = 60

    @Option(help: "A scratch PostgreSQL database (libpq URI or key=value string) to measure as well.")
    var postgres: String?

    @Option(help: "Folder for the scratch SQLite file (removed afterwards).")
    var dir: String = FileManager.default.temporaryDirectory.path

    func validate() throws {
        guard stages > 0 else { throw ValidationError("--stages must be positive, got \(stages)") }
    }

    func run() throws {
        if let postgres {
            let lineage = try LineageDatabase(postgres: postgres)
            print(Self.line("PostgreSQL (\(lineage.path))", try LineageBenchmark.recordStages(lineage, count: stages)))
        }
        let scratch = URL(fileURLWithPath: dir).appendingPathComponent("tlab-bench-lineage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sqlite = try LineageDatabase(path: scratch.appendingPathComponent("lineage.sqlite").path)
        print(Self.line("SQLite (WAL)", try LineageBenchmark.recordStages(sqlite, count: stages)))
    }

    /// `times` sorted, in milliseconds.
    static func line(_ database: String, _ times: [Double]) -> String {
        String(format: "lineage per stage on %@: median %.1f ms (%.1f..%.1f) over %d stages",
               database, times[times.count / 2], times.first!, times.last!, times.count)
    }
}
