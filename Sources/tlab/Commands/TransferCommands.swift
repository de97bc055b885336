// `tlab push` and `tlab pull`: copy a run, a file's lineage, or everything between this store and
// another (typically a shared one), like `dvc push`/`dvc pull`: blobs first, verified, then the
// lineage rows in one transaction; safe to interrupt and to repeat.
import ArgumentParser
import Foundation
import Pipeline
import Store

/// What both commands take: what to copy, and the other store.
struct TransferOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "What to copy: a run id, or a file (a report) or stage name or artifact hash whose lineage to copy.",
        valueName: "target"))
    var target: String?

    @Flag(help: "Copy every run.")
    var all = false

    func validate() throws {
        if all == (target != nil) { throw ValidationError("give a run id, a file or stage, or --all (one of them)") }
    }

    /// The selection in `source` (ids and names are the source's).
    func selection(in source: PipelineStore) throws -> LineageDatabase.Selection {
        if all { return .everything }
        let target = target!
        if let run = Int64(target), !FileManager.default.fileExists(atPath: target) { return .run(run) }
        return .ancestors(of: try LineageTarget.resolve(target, in: source).roots)
    }

    func copy(from source: PipelineStore, to destination: PipelineStore, verb: String) throws {
        let selection = try selection(in: source)
        let report = try StoreTransfer.copy(selection, from: TransferEnd(blobs: source.blobs, lineage: source.lineage),
                                            to: TransferEnd(blobs: destination.blobs, lineage: destination.lineage))
        var line = "\(verb) \(report.blobsCopied) blobs (\(DisplayFormat.bytes(report.bytesCopied))), "
            + "\(report.rows.runs) runs, \(report.rows.stageRuns) stage runs, \(report.rows.artifacts) artifacts "
            + "to \(destination.location.name); \(report.blobsPresent) blobs were already there"
        if report.blobsUnavailable > 0 { line += "; \(report.blobsUnavailable) blobs gc had removed went as removed" }
        print(line)
    }
}

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy a run, a report's lineage or everything from this store to another.",
        discussion: """
            Copies the blobs first (each verified as it is read and re-hashed as it is written), then \\
            the lineage rows in one transaction. Rows are matched by content (stage keys, artifact \\
            hashes, a run's owner and start), not by ids, so pushing again copies nothing twice, and an \\
            interrupted push resumes. A run id is this store's (tlab runs).

            EXAMPLES:
              tlab push reports/fashion-transfer/report.md --to team.yaml
              tlab push 12 --to team.yaml
              tlab push --all --to /mnt/backup/tlab-store
            """)

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("The store to copy to: a folder or a shared store's .yaml file.", valueName: "store"))
    var to: String

    func run() throws {
        let source = try storeOptions.openExisting()
        let destination = try StoreOptions.open(try StoreLocation.resolve(to), create: true)
        try transfer.copy(from: source, to: destination, verb: "pushed")
    }
}

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Copy a run, a report's lineage or everything from another store into this one.",
        discussion: """
            The reverse of 'tlab push': blobs first, verified, then the lineage rows in one \\
            transaction, matched by content so pulling again copies nothing twice. A run id is the \\
            other store's; a file (a report) is looked up there by its hash.

            EXAMPLES:
              tlab pull reports/fashion-transfer/report.md --from team.yaml
              tlab pull 40 --from team.yaml
              tlab pull --all --from team.yaml --store artifacts
            """)

    @OptionGroup var transfer: TransferOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("The store to copy from: a folder or a shared store's .yaml file.", valueName: "store"))
    var from: String

    func run() throws {
        let source = try StoreOptions.open(try StoreLocation.resolve(from), create: false)
        let destination = try storeOptions.openOrCreate()
        try transfer.copy(from: source, to: destination, verb: "pulled")
    }
}
