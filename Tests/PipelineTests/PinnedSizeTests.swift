// The size a SHA-256 pinned a file at, as a store remembers it: from the artifact of those very bytes
// (a url download stores its file as it came) or from a `pinned_source` written on first use.
import Datasets
import Foundation
import Store
import XCTest
@testable import Pipeline
import TestSupport

final class PinnedSizeTests: XCTestCase {
    private func record(_ outputs: [String: Data], in store: PipelineStore) throws {
        let run = try store.lineage.startRun(pipeline: "p", pipelineHash: "h", seed: 0, toolVersion: "test")
        let stage = try store.lineage.startStageRun(runID: run.id!, key: UUID().uuidString, stage: "s", kind: "download", params: "{}")
        let artifacts = try outputs.mapValues { ArtifactRecord(blob: try store.blobs.put($0), mediaType: .json) }
        try store.lineage.finishStageRun(stage.id!, inputs: [:], outputs: artifacts, seconds: 0)
    }

    func testASizeIsFoundFromTheStoredFileOrFromItsPinAndOtherwiseNot() throws {
        let store = try PipelineStore(root: URL(fileURLWithPath: try makeTemporaryDirectory(self)))
        let downloaded = Data(repeating: 7, count: 1234)
        let weights = Data(repeating: 9, count: 4321)
        let file = try makeTemporaryDirectory(self) + "/model.safetensors"
        try weights.write(to: URL(fileURLWithPath: file))
        let pin = try PinnedSource(location: "http://127.0.0.1:1/model.safetensors", file: file)
        try record(["data.bin": downloaded, PinnedSource.output: JSONEncoder().encode(pin)], in: store)

        func size(_ data: Data) throws -> Int64? {
            PinnedSource.recordedBytes(of: try Checksum(.sha256, Digest.sha256Hex(data)), in: store)
        }
        XCTAssertEqual(try size(downloaded), 1234)
        XCTAssertEqual(try size(weights), 4321)
        XCTAssertNil(try size(Data(repeating: 1, count: 10)), "bytes the store never saw have no recorded size")
        XCTAssertNil(PinnedSource.recordedBytes(of: try Checksum(.md5, String(repeating: "0", count: 32)), in: store),
                     "an MD5 names no blob and no pin")
    }
}
