// The `--store` option every store command shares, and opening the store it names: a folder (its
// blobs and the lineage database inside it) or a shared store's YAML file (see docs/shared-store.md).
import ArgumentParser
import Foundation
import Pipeline
import Store

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Artifact store: a folder, or a shared store's .yaml file (default: $TLAB_STORE, else ./artifacts).",
        valueName: "path"),
        completion: .file())
    var store: String?

    @Option(help: ArgumentHelp("Seconds a shared store's request keeps retrying while its server does not answer "
        + "(a restart, a network outage), with a line saying what it waits for.", valueName: "seconds"))
    var retryBudget: Double = 300

    /// The value of `--store`, else `TLAB_STORE`, else `artifacts`.
    var value: String {
        let environment = ProcessInfo.processInfo.environment["TLAB_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        return store ?? environment ?? "artifacts"
    }

    func location() throws -> StoreLocation { try StoreLocation.resolve(value) }

    /// Opens a store that must already exist: reading commands never create one where the user
    /// mistyped a path.
    func openExisting() throws -> PipelineStore {
        try Self.open(location(), create: false, patience: patience)
    }

    /// Opens a store that must already exist, its lineage database read-only where it is a file
    /// (`tlab serve`, which writes nothing).
    func openReadOnly() throws -> PipelineStore {
        do {
            return try PipelineStore(location: location(), create: false, patience: patience, readOnly: true)
        } catch let StoreError.notAStore(path, reason) {
            throw CommandError.notAStore(path: path, reason: reason)
        }
    }

    /// Opens the store, creating it if the folder is missing or empty (what `tlab run` needs).
    func openOrCreate() throws -> PipelineStore {
        try Self.open(location(), create: true, patience: patience)
    }

    /// `--retry-budget`, with waiting lines on stderr.
    var patience: ServerPatience {
        ServerPatience(retryBudget: retryBudget, notice: OutageNotice { line in
            FileHandle.standardError.write(Data("tlab: \(line)\n".utf8))
        })
    }

    func validate() throws {
        guard retryBudget >= 0, retryBudget.isFinite else {
            throw ValidationError("--retry-budget must be a number of seconds ≥ 0, got \(retryBudget)")
        }
    }

    static func open(_ location: StoreLocation, create: Bool, patience: ServerPatience = ServerPatience()) throws -> PipelineStore {
        do {
            return try PipelineStore(location: location, create: create, patience: patience)
        } catch let StoreError.notAStore(path, reason) {
            throw CommandError.notAStore(path: path, reason: reason)
        }
    }

    /// Calls `body` with the store for a preview (`status`, `run --dry-run`): the existing one, or,
    /// where there is no store folder yet, an empty one in a temporary folder, removed afterwards. A
    /// preview then shows every stage as never run without leaving a store behind.
    func withStoreForPreview<T>(_ body: (PipelineStore) throws -> T) throws -> T {
        let location = try location()
        guard case .folder(let root) = location else { return try body(openExisting()) }
        let contents = try? FileManager.default.contentsOfDirectory(atPath: root.path)
        guard contents?.isEmpty ?? true else { return try body(openExisting()) }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("tlab-preview-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try body(PipelineStore(root: scratch, create: true))
    }
}

/// How long claims last and how often a waiting run looks again: `tlab run` and `tlab worker`.
struct ClaimOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Seconds a stage claim lasts unless renewed: a killed process holds up others at most this long.",
        valueName: "seconds"))
    var lease: Double = 30

    func validate() throws {
        if !(lease >= 1 && lease <= 3600) { throw ValidationError("--lease must be 1 to 3600 seconds, not \(lease)") }
    }

    /// A quarter of the lease at most, so a lapsed claim is taken up soon after it lapses.
    var longestPoll: TimeInterval { min(5, lease / 4) }
}
