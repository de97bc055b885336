// The `--store` option every store command shares, and opening the store it names (its blobs and
// the lineage database inside it).
import ArgumentParser
import Foundation
import Pipeline
import Store

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Artifact store folder (default: $TLAB_STORE, else ./artifacts).", valueName: "path"),
        completion: .directory)
    var store: String?

    /// The folder named by `--store`, else `TLAB_STORE`, else `./artifacts`.
    var root: URL {
        let environment = ProcessInfo.processInfo.environment["TLAB_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        return URL(fileURLWithPath: store ?? environment ?? "artifacts")
    }

    /// Opens a store that must already exist: reading commands never create one where the user
    /// mistyped a path.
    func openExisting() throws -> PipelineStore {
        do {
            return try PipelineStore(root: root, create: false)
        } catch let StoreError.notAStore(path, reason) {
            throw CommandError.notAStore(path: path, reason: reason)
        }
    }

    /// Opens the store, creating it if the folder is missing or empty (what `tlab run` needs).
    func openOrCreate() throws -> PipelineStore {
        try PipelineStore(root: root, create: true)
    }

    /// Calls `body` with the store for a preview (`status`, `run --dry-run`): the existing one, or,
    /// where there is none yet, an empty one in a temporary folder, removed afterwards. A preview
    /// then shows every stage as never run without leaving a store behind.
    func withStoreForPreview<T>(_ body: (PipelineStore) throws -> T) throws -> T {
        let contents = try? FileManager.default.contentsOfDirectory(atPath: root.path)
        guard contents?.isEmpty ?? true else { return try body(openExisting()) }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("tlab-preview-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try body(PipelineStore(root: scratch, create: true))
    }
}
