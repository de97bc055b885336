// `verify`: re-hash every blob and hold the lineage database against what is on disk.
import Foundation

/// What `BlobStore.verify(against:quarantineCorrupt:)` found. Hash lists are sorted.
public struct VerifyReport: Sendable, Equatable {
    /// A blob that does not decompress to bytes with its hash.
    public struct CorruptBlob: Sendable, Equatable {
        public var hash: String
        public var reason: String
        /// Where it was moved, when quarantine was asked for.
        public var quarantinedTo: URL?
    }

    /// Blobs on disk that were re-hashed.
    public var checked: Int
    public var intact: Int
    public var corrupt: [CorruptBlob]
    /// Artifacts the database says are in the store, with no blob on disk.
    public var missing: [String]
    /// Blobs on disk that no stored artifact row names: left by a run that died before recording
    /// them, or being written right now. Not damage; gc sweeps them once past its grace period.
    public var orphaned: [String]

    /// True when a recorded result cannot be read back intact (missing or corrupt blobs); the CLI
    /// exits non-zero on it.
    public var isDamaged: Bool { !missing.isEmpty || !corrupt.isEmpty }
}

extension BlobStore {
    /// Re-hashes every blob and checks it against `lineage`: recorded but missing, corrupt, orphaned.
    /// Holds the store lock shared, so it runs beside runs but never beside a gc.
    /// - Parameter quarantineCorrupt: move corrupt blobs to `quarantine/` and mark their artifacts
    ///   removed, so the next run recomputes them and the next verify is clean.
    public func verify(against lineage: LineageDatabase, quarantineCorrupt: Bool = false) throws -> VerifyReport {
        let lock = try StoreLock(root: root, mode: .shared)
        defer { lock.release() }
        // Read the rows before listing the blobs: a run records a row only after its blob is in
        // place, so a blob appearing in between shows as an orphan, never as missing.
        let recorded = try lineage.storedArtifactHashes()
        let onDisk = try allHashes()
        var report = VerifyReport(checked: onDisk.count, intact: 0, corrupt: [],
                                  missing: recorded.subtracting(onDisk).sorted(),
                                  orphaned: Set(onDisk).subtracting(recorded).sorted())
        for hash in onDisk {
            switch verify(hash) {
            case .intact:
                report.intact += 1
            case .corrupt(let reason):
                report.corrupt.append(.init(hash: hash, reason: reason, quarantinedTo: nil))
            case .missing:
                // Quarantined by a concurrent verify after the listing.
                report.checked -= 1
            }
        }
        if quarantineCorrupt {
            for index in report.corrupt.indices {
                report.corrupt[index].quarantinedTo = try quarantine(report.corrupt[index].hash)
            }
            try lineage.markRemoved(report.corrupt.map(\.hash), at: Date())
        }
        return report
    }
}
