// `tlab runs`: the runs recorded in the store, newest first, with how many stages each computed.
import ArgumentParser
import Foundation
import Pipeline
import Reporting
import Store

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs recorded in the store, newest first.",
        discussion: """
            Each run shows its pipeline, status (finished, failed, interrupted or running), start time, \
            duration, how many of its stages were computed and how many reused from the cache, and the \
            seeds its stages were repeated over.

            EXAMPLES:
              tlab runs
              tlab runs --limit 5 --json | jq '.[0].id'
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Show at most this many runs.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
    }

    /// One run as listed (and as its JSON object).
    struct Listing: Encodable {
        let id: Int64
        let pipeline: String
        let status: RunStatus
        let started: Date
        let finished: Date?
        let seconds: Double?
        let computed: Int
        let cached: Int
        let failed: Int
        /// The seeds its stages were repeated over; empty when none was.
        let seeds: [Int]
        let toolVersion: String

        /// `run` with its stage runs counted (`tlab serve` lists runs with the same counts).
        init(run: RunRecord, stages: [StageRunRecord]) {
            (id, pipeline, status, started, finished) = (run.id!, run.pipeline, run.status, run.started, run.finished)
            seconds = run.finished.map { $0.timeIntervalSince(run.started) }
            computed = stages.filter { !$0.cacheHit && $0.status == .finished }.count
            cached = stages.filter(\.cacheHit).count
            failed = stages.filter { $0.status == .failed || $0.status == .interrupted }.count
            seeds = Set(stages.compactMap { StageNaming.split($0.stage).seed }).sorted()
            toolVersion = run.toolVersion
        }
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let listings = try store.lineage.runs(limit: limit).map { try Listing(run: $0, stages: store.lineage.stageRuns(ofRun: $0.id!)) }
        if output.json { return try JSONOutput.print(listings) }
        guard !listings.isEmpty else {
            print("No runs in \(store.location.name) yet; 'tlab run' starts one.")
            return
        }
        var table = TextTable(["RUN", "PIPELINE", "STATUS", "STARTED", "DURATION", "COMPUTED", "CACHED", "FAILED", "SEEDS"],
                              rightAligned: [0, 4, 5, 6, 7])
        for run in listings {
            table.append(["\(run.id)", run.pipeline, run.status.rawValue, DisplayFormat.date(run.started),
                          run.seconds.map(DisplayFormat.seconds) ?? "-", "\(run.computed)", "\(run.cached)",
                          "\(run.failed)", run.seeds.isEmpty ? "-" : DisplayFormat.ranges(run.seeds)])
        }
        print(table.rendered(), terminator: "")
    }
}
