// Shared setup for the lineage tests: a database in a fresh scratch folder, and artifact values.
import Foundation
import XCTest
@testable import Store

extension XCTestCase {
    /// A lineage database file in a fresh directory, opened as this process.
    func makeLineageDatabase(identity: ProcessIdentity = .current) throws -> LineageDatabase {
        try LineageDatabase(path: makeScratchFolder().appendingPathComponent("lineage.sqlite").path,
                            identity: identity)
    }
}

/// An artifact whose hash is the SHA-256 of `label`, so tests can name artifacts by word.
func artifact(_ label: String, mediaType: MediaType = .tensors) -> ArtifactRecord {
    ArtifactRecord(hash: SHA256Hasher.hex(Data(label.utf8)), mediaType: mediaType,
                   rawBytes: Int64(label.utf8.count), storedBytes: Int64(label.utf8.count) + 9)
}
