// `verify`: re-hash every blob and hold the lineage database against what is on disk (and, for a store
// with a remote tier, against what is in the remote).
import Foundation

/// What `BlobStore.verify(against:quarantineCorrupt:)` found. Hash lists are sorted.
public struct VerifyReport: Sendable, Equatable {
    /// A blob that does not decompress to bytes with its hash.
    public struct CorruptBlob: Sendable, Equatable {
        public var hash: String
        public var reason: String
        /// Where it was moved, when quarantine was asked for.
        public var quarantinedTo: URL?
        /// True for a copy in the remote tier, false for one in the folder (the cache, with a remote).
        public var inRemote = false
    }

    /// Blobs on disk that were re-hashed.
    public var checked: Int
    public var intact: Int
    public var corrupt: [CorruptBlob]
    /// Artifacts the database says are in the store, with no blob on disk (in the remote, for a store
    /// with a remote tier).
    public var missing: [String]
    /// Blobs on disk (in the remote, with a remote tier) that no stored artifact row names: left by a
    /// run that died before recording them, or being written right now. Not damage; gc sweeps them
    /// once past its grace period.
    public var orphaned: [String]
    /// The remote tier checked (`s3://…` or a folder), nil for a store without one.
    public var remote: String?
    /// Blobs listed in the remote, and those of them downloaded and re-hashed.
    public var remoteListed = 0
    public var remoteChecked = 0
    /// Blobs this verify took out of the store (quarantined, deleted from the remote): their artifact
    /// rows are marked removed, so the next run recomputes them.
    public var removedFromStore: [String] = []

    /// True when a recorded result cannot be read back intact (missing or corrupt blobs); the CLI
    /// exits non-zero on it.
    public var isDamaged: Bool { !missing.isEmpty || !corrupt.isEmpty }

    /// Whether this verify took `blob` out of the store: quarantined it, or deleted it from the remote.
    public func removed(_ blob: CorruptBlob) -> Bool {
        blob.quarantinedTo != nil || (blob.inRemote && removedFromStore.contains(blob.hash))
    }
}

/// As `tlab verify --json` prints it: the counts and lists, each corrupt blob with whether it was
/// `removed` and its quarantine path, and `damaged`.
extension VerifyReport: Encodable {
    private enum CodingKeys: String, CodingKey {
        case checked, intact, corrupt, missing, orphaned, damaged, remote, remoteListed, remoteChecked
    }

    private enum CorruptKeys: String, CodingKey {
        case hash, reason, quarantinedTo, inRemote, removed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(checked, forKey: .checked)
        try c.encode(intact, forKey: .intact)
        var list = c.nestedUnkeyedContainer(forKey: .corrupt)
        for blob in corrupt {
            var item = list.nestedContainer(keyedBy: CorruptKeys.self)
            try item.encode(blob.hash, forKey: .hash)
            try item.encode(blob.reason, forKey: .reason)
            try item.encodeIfPresent(blob.quarantinedTo?.path, forKey: .quarantinedTo)
            try item.encode(blob.inRemote, forKey: .inRemote)
            try item.encode(removed(blob), forKey: .removed)
        }
        try c.encode(missing, forKey: .missing)
        try c.encode(orphaned, forKey: .orphaned)
        try c.encode(isDamaged, forKey: .damaged)
        try c.encodeIfPresent(remote, forKey: .remote)
        try c.encode(remoteListed, forKey: .remoteListed)
        try c.encode(remoteChecked, forKey: .remoteChecked)
    }
}

extension BlobStore {
    /// Re-hashes every blob and checks it against `lineage`: recorded but missing, corrupt, orphaned.
    /// Holds the store lock shared, so it runs beside runs but never beside a gc.
    /// - Parameter quarantineCorrupt: move corrupt blobs to `quarantine/` and mark their artifacts
    ///   removed, so the next run recomputes them and the next verify is clean.
    /// - Parameter remoteContent: with a remote tier, also download every remote blob and re-hash it
    ///   (without it, the remote is only listed: every recorded blob must be there).
    public func verify(against lineage: LineageDatabase, quarantineCorrupt: Bool = false,
                       remoteContent: Bool = false) throws -> VerifyReport {
        try verify(recorded: { try lineage.storedArtifactHashes() }, quarantineCorrupt: quarantineCorrupt,
                   remoteContent: remoteContent, markRemoved: { try lineage.markRemoved($0, at: Date()) })
    }

    /// The checks behind `verify(against:)`: `recorded` gives the hashes lineage says are stored
    /// (called before blobs are listed, so a blob written in between shows as an orphan, never as
    /// missing); `markRemoved` records the blobs this verify took out of the store.
    func verify(recorded: () throws -> Set<String>, quarantineCorrupt: Bool = false, remoteContent: Bool = false,
                       markRemoved: ([String]) throws -> Void) throws -> VerifyReport {
        let lock = try StoreLock(root: root, mode: .shared)
        defer { lock.release() }
        // A run records a row only after its blob is in place, so rows are read first.
        let recorded = try recorded()
        let cached = try allHashes()
        var report = VerifyReport(checked: cached.count, intact: 0, corrupt: [], missing: [], orphaned: [])
        for hash in cached {
            switch verifyCached(hash) {
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
            // With a remote tier the folder is a cache: its bad copy goes, the remote one serves.
            if remote == nil { report.removedFromStore = report.corrupt.map(\.hash) }
        }

        if let remote {
            let listed = try remote.allBlobs().map(\.hash)
            report.remote = remote.location
            report.remoteListed = listed.count
            report.missing = recorded.subtracting(listed).sorted()
            report.orphaned = Set(listed).subtracting(recorded).sorted()
            if remoteContent {
                try verifyRemoteContent(listed, quarantineCorrupt: quarantineCorrupt, into: &report)
            }
        } else {
            report.missing = recorded.subtracting(cached).sorted()
            report.orphaned = Set(cached).subtracting(recorded).sorted()
        }
        if !report.removedFromStore.isEmpty { try markRemoved(report.removedFromStore) }
        report.corrupt.sort { ($0.hash, $0.inRemote ? 1 : 0) < ($1.hash, $1.inRemote ? 1 : 0) }
        return report
    }

    /// Downloads and re-hashes each of `hashes` from the remote; a corrupt copy is reported and, with
    /// quarantine, deleted from the remote (its bytes kept in `quarantine/`).
    private func verifyRemoteContent(_ hashes: [String], quarantineCorrupt: Bool, into report: inout VerifyReport) throws {
        for hash in hashes {
            switch try verifyRemote(hash, removeCorrupt: quarantineCorrupt) {
            case .intact:
                report.remoteChecked += 1
            case .corrupt(let reason):
                report.remoteChecked += 1
                report.corrupt.append(.init(hash: hash, reason: reason, quarantinedTo: nil, inRemote: true))
                if quarantineCorrupt { report.removedFromStore.append(hash) }
            case .missing:
                // Deleted (by a gc elsewhere) since the listing.
                break
            }
        }
    }
}
