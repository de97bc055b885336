// The lineage database as a run uses it: opening, recording stage runs, cache lookup, history queries.
import Foundation
import XCTest
@testable import Store

class LineageDatabaseTests: XCTestCase {
    static let tables = ["artifacts", "checkpoints", "claims", "metrics", "runs", "stage_inputs", "stage_outputs",
                         "stage_runs", "submissions"]

    func testFreshDatabaseIsMigratedInWALModeAndReopens() throws {
        let path = try makeScratchFolder().appendingPathComponent("nested/lineage.sqlite").path
        let first = try LineageDatabase(path: path)
        let migrations = "SELECT identifier FROM grdb_migrations ORDER BY identifier"
        XCTAssertEqual(try first.database.read { try $0.column(migrations, as: String.self) }, ["v1", "v2", "v3"])
        let tables = try first.database.read { db in
            try db.column("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name", as: String.self)
        }
        XCTAssertEqual(tables, Self.tables)
        XCTAssertEqual(try first.database.read { try $0.scalar("PRAGMA journal_mode", as: String.self) }, "wal")
        XCTAssertEqual(try first.database.write { try $0.scalar("PRAGMA foreign_keys", as: Bool.self) }, true)
        let run = try first.startRun(pipeline: "default", pipelineHash: "p1", seed: 7, toolVersion: "0.1")

        let reopened = try LineageDatabase(path: path)
        XCTAssertEqual(try reopened.runs().map(\.id), [run.id])
        XCTAssertEqual(try reopened.database.read { try $0.column(migrations, as: String.self) }, ["v1", "v2", "v3"])
    }

    func testFinishedStageRunIsFoundByItsKeyWithOutputsAndMetrics() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "default", pipelineHash: "p1", seed: 1, toolVersion: "0.1")
        let raw = artifact("raw images")
        let download = try lineage.startStageRun(runID: run.id!, key: "k-download", stage: "download",
                                                 kind: "download", params: #"{"url":"file:///data"}"#)
        try lineage.finishStageRun(download.id!, inputs: [:], outputs: ["files": raw], seconds: 0.5)

        let train = artifact("train tensors"), test = artifact("test tensors")
        let preprocess = try lineage.startStageRun(runID: run.id!, key: "k-pre", stage: "preprocess",
                                                   kind: "preprocess", params: #"{"size":32}"#)
        XCTAssertNil(try lineage.cachedStageRun(key: "k-pre"), "a running stage is not a cache entry")
        let curve = [MetricPoint(name: "loss", step: 1, value: 2.5), MetricPoint(name: "loss", step: 2, value: .nan)]
        try lineage.finishStageRun(preprocess.id!, inputs: ["raw": raw.hash],
                                   outputs: ["train": train, "test": test], metrics: curve, seconds: 3)

        let cached = try XCTUnwrap(lineage.cachedStageRun(key: "k-pre"))
        XCTAssertEqual(cached.record.id, preprocess.id)
        XCTAssertEqual(cached.record.status, .finished)
        XCTAssertEqual(cached.record.seconds, 3)
        XCTAssertFalse(cached.record.cacheHit)
        XCTAssertEqual(cached.inputs, ["raw": raw.hash])
        XCTAssertEqual(cached.outputs, ["train": train.hash, "test": test.hash])
        XCTAssertEqual(try lineage.metrics(ofStageRun: preprocess.id!), curve, "NaN survives the round trip")
        XCTAssertEqual(try lineage.artifact(hashPrefix: train.hash).producedBy, preprocess.id)
        XCTAssertEqual(try lineage.stageRuns(ofRun: run.id!).map(\.stage), ["download", "preprocess"])
    }

    func testCacheHitReusesOutputsAndKeepsTheOriginalProducer() throws {
        let lineage = try makeLineageDatabase()
        let first = try lineage.startRun(pipeline: "default", pipelineHash: "p1", seed: 1, toolVersion: "0.1")
        let weights = artifact("weights")
        let pretrain = try lineage.startStageRun(runID: first.id!, key: "k-pre", stage: "pretrain",
                                                 kind: "pretrain", params: "{}")
        try lineage.finishStageRun(pretrain.id!, inputs: [:], outputs: ["weights": weights], seconds: 60)
        try lineage.finishRun(first.id!, status: .finished)

        let second = try lineage.startRun(pipeline: "default", pipelineHash: "p1", seed: 1, toolVersion: "0.1")
        let source = try XCTUnwrap(lineage.cachedStageRun(key: "k-pre"))
        let hit = try lineage.recordCacheHit(runID: second.id!, stage: "pretrain", from: source)

        let newest = try XCTUnwrap(lineage.cachedStageRun(key: "k-pre"))
        XCTAssertEqual(newest.record.id, hit.id)
        XCTAssertTrue(newest.record.cacheHit)
        XCTAssertEqual(newest.outputs, ["weights": weights.hash])
        XCTAssertEqual(try lineage.artifact(hashPrefix: weights.hash).producedBy, pretrain.id)
        XCTAssertEqual(try lineage.runs().map(\.id), [second.id, first.id], "newest first")
        XCTAssertEqual(try lineage.run(id: first.id!)?.status, .finished)
        XCTAssertEqual(try lineage.artifactHashes(referencedByRuns: [second.id!]), [weights.hash])
    }

    func testFailedStageRunIsNeitherCachedNorUsedToExplainReruns() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "study", pipelineHash: "p1", seed: nil, toolVersion: "0.1")
        let ok = try lineage.startStageRun(runID: run.id!, key: "k-lr3", stage: "finetune", kind: "finetune",
                                           params: #"{"lr":0.001}"#)
        try lineage.finishStageRun(ok.id!, inputs: [:], outputs: ["weights": artifact("fine")], seconds: 1)
        let bad = try lineage.startStageRun(runID: run.id!, key: "k-lr4", stage: "finetune", kind: "finetune",
                                            params: #"{"lr":0.0001}"#)
        try lineage.failStageRun(bad.id!, error: "loss diverged at epoch 2")

        XCTAssertNil(try lineage.cachedStageRun(key: "k-lr4"))
        XCTAssertThrowsError(try lineage.finishStageRun(bad.id!, inputs: [:], outputs: [:], seconds: 1)) {
            XCTAssertEqual($0 as? LineageError, .stageRunAlreadyEnded(id: bad.id!, status: .failed))
        }
        XCTAssertEqual(try lineage.stageRun(id: bad.id!)?.record.error, "loss diverged at epoch 2")
        let latest = try XCTUnwrap(lineage.latestStageRun(stage: "finetune"))
        XCTAssertEqual(latest.record.params, #"{"lr":0.001}"#, "the latest *finished* run explains a re-run")
        XCTAssertNil(try lineage.latestStageRun(stage: "finetune", pipeline: "default"))
    }

    func testUnknownInputRollsBackTheWholeFinish() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "default", pipelineHash: "p1", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "evaluate", kind: "evaluate", params: "{}")
        let ghost = artifact("never recorded").hash
        XCTAssertThrowsError(try lineage.finishStageRun(stage.id!, inputs: ["weights": ghost],
                                                        outputs: ["metrics": artifact("m")], seconds: 1)) { error in
            XCTAssertEqual(error as? LineageError, .unknownInputArtifact(stageRun: stage.id!, input: "weights", hash: ghost))
        }
        XCTAssertEqual(try lineage.stageRun(id: stage.id!)?.record.status, .running)
        XCTAssertThrowsError(try lineage.artifact(hashPrefix: artifact("m").hash))
        XCTAssertThrowsError(try lineage.startStageRun(runID: 999, key: "k", stage: "s", kind: "k", params: "{}")) {
            XCTAssertEqual($0 as? LineageError, .unknownRun(id: 999, database: lineage.path))
        }
    }

    func testHashPrefixResolvesUniqueReportsAmbiguousAndUnknown() throws {
        let lineage = try makeLineageDatabase()
        let run = try lineage.startRun(pipeline: "default", pipelineHash: "p1", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: "k", stage: "download", kind: "download", params: "{}")
        func named(_ hash: String) -> ArtifactRecord {
            ArtifactRecord(hash: hash, mediaType: .raw, rawBytes: 1, storedBytes: 1)
        }
        let a = "abc1" + String(repeating: "0", count: 60), b = "abc2" + String(repeating: "0", count: 60)
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: ["a": named(a), "b": named(b)], seconds: 0)

        XCTAssertEqual(try lineage.artifact(hashPrefix: "abc1").hash, a)
        XCTAssertEqual(try lineage.artifact(hashPrefix: "ABC2").hash, b)
        XCTAssertThrowsError(try lineage.artifact(hashPrefix: "abc")) {
            XCTAssertEqual($0 as? LineageError, .ambiguousPrefix(prefix: "abc", candidates: [a, b]))
        }
        XCTAssertThrowsError(try lineage.artifact(hashPrefix: "0123")) {
            XCTAssertEqual($0 as? LineageError, .noArtifactMatches(prefix: "0123", database: lineage.path))
        }
        XCTAssertThrowsError(try lineage.artifact(hashPrefix: "ab*")) {
            XCTAssertEqual($0 as? LineageError, .invalidHashPrefix("ab*"))
        }
    }
}
