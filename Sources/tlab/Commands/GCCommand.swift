// `tlab gc`: sweep the blobs that neither the kept runs nor the cache need.
import ArgumentParser
import Foundation
import Store

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs that no kept run and no cache entry needs.",
        discussion: """
            Keeps, per pipeline, the newest --keep-runs finished runs (and any run started since), runs \
            still in progress, --pin'ned runs, and by default the newest outputs of every stage key, so a gc \
            never makes a later run recompute anything. Everything else older than --grace seconds is \
            deleted: orphans of runs that died, superseded outputs. Refuses to run while another tlab \
            process uses the store. On a shared store, where runs on other machines hold no lock here, \
            unreferenced blobs younger than the longest recorded stage or the oldest live claim are \
            spared whatever --grace says. With blobs in a bucket, the counts are of objects in the bucket \
            (spared for --remote-grace), and unreferenced copies in this machine's cache are evicted.

            EXAMPLES:
              tlab gc --dry-run
              tlab gc --keep-runs 3 --pin 12
              tlab gc --only-kept-runs --grace 0
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "List what would be deleted, delete nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Finished runs to keep per pipeline.", valueName: "n"))
    var keepRuns = 1

    @Option(help: ArgumentHelp("Keep this run whatever its age (repeatable).", valueName: "run"))
    var pin: [Int64] = []

    @Flag(help: "Keep only the kept runs' blobs, not every cache entry (later runs may recompute).")
    var onlyKeptRuns = false

    @Option(help: ArgumentHelp("Spare unreferenced blobs younger than this many seconds.", valueName: "seconds"))
    var grace: Double = 3600

    @Option(name: .customLong("remote-grace"), help: ArgumentHelp(
        "With blobs in a bucket: spare unreferenced objects modified less than this many seconds ago "
            + "(longer than any stage takes on any machine).", valueName: "seconds"))
    var remoteGrace: Double = 7 * 86_400

    func validate() throws {
        if keepRuns < 0 { throw ValidationError("--keep-runs must be 0 or more, not \(keepRuns)") }
        if grace < 0 { throw ValidationError("--grace must be 0 or more seconds, not \(grace)") }
        if remoteGrace < 0 { throw ValidationError("--remote-grace must be 0 or more seconds, not \(remoteGrace)") }
    }

    struct Summary: Encodable {
        let dryRun: Bool
        let keptRuns: [Int64]
        let kept: Int
        let swept: [String]
        let sweptBytes: Int64
        let spared: [String]
        let removedTemporaries: Int
        /// The bucket swept, with the unreferenced copies deleted from this machine's cache.
        let remote: String?
        let evictedFromCache: [String]
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let policy = GCPolicy(finishedRunsPerPipeline: keepRuns, keepCacheEntries: !onlyKeptRuns,
                              pinnedRuns: Set(pin), grace: grace, remoteGrace: remoteGrace)
        let report = try store.blobs.collectGarbage(lineage: store.lineage, policy: policy, dryRun: dryRun)
        let summary = Summary(dryRun: report.dryRun, keptRuns: report.keptRuns, kept: report.kept, swept: report.swept,
                              sweptBytes: report.sweptBytes, spared: report.spared,
                              removedTemporaries: report.removedTemporaries, remote: report.remote,
                              evictedFromCache: report.evictedFromCache)
        if output.json { return try JSONOutput.print(summary) }
        print(Self.render(summary), terminator: "")
    }

    static func render(_ s: Summary) -> String {
        let verb = s.dryRun ? "would delete" : "deleted"
        let runs = s.keptRuns.isEmpty ? "no runs" : "runs " + s.keptRuns.map(String.init).joined(separator: ", ")
        var out = "kept \(s.kept) blobs (\(runs) and the cache); \(verb) \(s.swept.count) blobs, "
            + "\(DisplayFormat.bytes(s.sweptBytes))"
        if !s.spared.isEmpty { out += "; spared \(s.spared.count) younger than the grace period" }
        if s.removedTemporaries > 0 { out += "; removed \(s.removedTemporaries) stale temporary files" }
        out += "\n"
        if let remote = s.remote {
            out += "(counts are of objects in \(remote); \(s.dryRun ? "would evict" : "evicted") "
                + "\(s.evictedFromCache.count) unreferenced copies from this machine's cache)\n"
        }
        for hash in s.swept { out += "\(s.dryRun ? "would delete" : "deleted")  \(hash)\n" }
        return out
    }
}
