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
func artifact(_ label: String, mediaType: MediaType = .tensor) -> ArtifactRecord {
    ArtifactRecord(hash: Digest.sha256Hex(Data(label.utf8)), mediaType: mediaType,
                   rawBytes: Int64(label.utf8.count), storedBytes: Int64(label.utf8.count) + 9)
}

/// A blob store with its lineage database beside it, as `tlab` lays them out, for verify and gc tests.
struct RecordedStore {
    let store: BlobStore
    let lineage: LineageDatabase

    init(root: URL) throws {
        store = try BlobStore.open(root: root)
        lineage = try LineageDatabase(path: root.appendingPathComponent("lineage.sqlite").path)
    }

    /// Runs `pipeline` once with one stage `key` that writes `outputs` (port → bytes) to the store and
    /// records them; returns the run id and the output hashes by port.
    @discardableResult
    func record(pipeline: String = "default", key: String, outputs: [String: Data],
                status: RunStatus = .finished) throws -> (run: Int64, hashes: [String: String]) {
        let run = try lineage.startRun(pipeline: pipeline, pipelineHash: "p", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: key, stage: key, kind: "evaluate", params: "{}")
        let artifacts = try outputs.mapValues { ArtifactRecord(blob: try store.put($0), mediaType: .json) }
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: artifacts, seconds: 0)
        try lineage.finishRun(run.id!, status: status)
        return (run.id!, artifacts.mapValues(\.hash))
    }

    /// Makes blob `hash` look written `seconds` ago, as if a gc came by later.
    func age(_ hash: String, by seconds: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -seconds)],
                                              ofItemAtPath: store.path(of: hash).path)
    }
}
