// Copying lineage and its blobs from one store to another (`tlab push`, `tlab pull`): blobs first,
// each verified on the way, then the lineage rows in one transaction. Interrupted, it leaves only
// blobs no row names yet (gc sweeps them); run again, it copies what is missing and adds no row twice.
import Foundation

/// What a copy did.
public struct TransferReport: Sendable, Equatable {
    /// Blobs written to the destination, and their compressed size there.
    public var blobsCopied = 0
    public var bytesCopied: Int64 = 0
    /// Blobs the destination already held intact.
    public var blobsPresent = 0
    /// Artifacts whose blob the source no longer has (removed by gc): their rows go across marked removed.
    public var blobsUnavailable = 0
    public var rows = ImportCounts()
}

/// A store as a copy sees it.
public struct TransferEnd {
    public let blobs: BlobStore
    public let lineage: LineageDatabase

    public init(blobs: BlobStore, lineage: LineageDatabase) {
        self.blobs = blobs
        self.lineage = lineage
    }
}

public enum StoreTransfer {
    /// Copies `selection` from `source` to `destination`. `progress` is called after each blob with
    /// (blobs done, blobs to check).
    public static func copy(_ selection: LineageDatabase.Selection, from source: TransferEnd, to destination: TransferEnd,
                            progress: (Int, Int) -> Void = { _, _ in }) throws -> TransferReport {
        let lock = try StoreLock(root: destination.blobs.root, mode: .shared)
        defer { lock.release() }
        let bundle = try source.lineage.bundle(selection)
        var report = TransferReport()
        var present = Set<String>()
        for (index, artifact) in bundle.artifacts.enumerated() {
            defer { progress(index + 1, bundle.artifacts.count) }
            let hash = artifact.hash
            if destination.blobs.verify(hash) == .intact {
                present.insert(hash)
                report.blobsPresent += 1
                continue
            }
            guard artifact.removed == nil, let info = try available(hash, in: source.blobs) else {
                report.blobsUnavailable += 1
                continue
            }
            // Streamed: the source's read checks the hash at the end (a damaged source blob throws and
            // the put stores nothing), and the put hashes what it wrote.
            let copied = try destination.blobs.put(rawBytes: info.rawBytes) { writer in
                try source.blobs.read(hash) { try writer.write($0) }
            }
            guard copied.hash == hash else { throw StoreError.corrupt(hash: hash, path: "the copy", reason: "it hashed to \(copied.hash)") }
            present.insert(hash)
            report.blobsCopied += 1
            report.bytesCopied += copied.storedBytes
        }
        report.rows = try destination.lineage.importBundle(bundle, present: present)
        return report
    }

    /// The sizes of blob `hash` if `blobs` has it. A store with a remote tier has it in its bucket,
    /// not necessarily in this machine's cache: `info` downloads it then, and says `missing` only
    /// when neither has it.
    private static func available(_ hash: String, in blobs: BlobStore) throws -> BlobInfo? {
        do {
            return try blobs.info(hash)
        } catch StoreError.missing {
            return nil
        }
    }
}
