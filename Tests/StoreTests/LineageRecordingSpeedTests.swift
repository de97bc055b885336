// Recording many stages on PostgreSQL (a durable server: fsync on) and on SQLite, as runs record
// them; it prints how long each took, the figure the README quotes (a measurement, not asserted: a
// loaded machine may be slow without anything being wrong).
import Foundation
import TestSupport
import XCTest
@testable import Store

final class LineageRecordingSpeedTests: XCTestCase {
    /// Records `count` stages as a run does (claim, start, finish with 2 inputs, 3 outputs and 36 metric
    /// points, release), then a cache hit of each; returns the milliseconds per stage, sorted.
    func recordStages(_ lineage: LineageDatabase, count: Int) throws -> [Double] {
        let run = try lineage.startRun(pipeline: "speed", pipelineHash: "h", seed: 1, toolVersion: "0.1")
        let sources = [artifact("source a"), artifact("source b")]
        let seed = try lineage.startStageRun(runID: run.id!, key: "seed", stage: "seed", kind: "download", params: "{}")
        try lineage.finishStageRun(seed.id!, inputs: [:], outputs: ["a": sources[0], "b": sources[1]], seconds: 0)
        var times: [Double] = []
        for index in 0..<count {
            let start = DispatchTime.now()
            let key = "key-\(index)"
            guard case .claimed(let token) = try lineage.claim(key, lease: 30) else { throw XCTSkip("claimed elsewhere") }
            let stage = try lineage.startStageRun(runID: run.id!, key: key, stage: "s\(index)", kind: "fine-tune",
                                                  params: #"{"epochs":12}"#, material: #"{"kind":"fine-tune"}"#)
            let metrics = (1...12).flatMap { step in
                ["loss", "accuracy", "val_loss"].map { MetricPoint(name: $0, step: step, value: Double(step) / 7) }
            }
            try lineage.finishStageRun(stage.id!, inputs: ["a": sources[0].hash, "b": sources[1].hash],
                                       outputs: ["weights": artifact("w\(index)"), "summary": artifact("s\(index)"),
                                                 "architecture": artifact("a\(index)")],
                                       metrics: metrics, seconds: 1)
            try lineage.release(key, token: token)
            let cached = try XCTUnwrap(lineage.cachedStageRun(key: key))
            _ = try lineage.recordCacheHit(runID: run.id!, stage: "hit\(index)", from: cached)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        return times.sorted()
    }

    func testSixtyStagesRecordAndReadBackOnBothDatabases() throws {
        let server: PostgresServer
        do {
            server = try PostgresServer(durable: true)
        } catch PostgresServer.Failure.unavailable(let reason) {
            throw XCTSkip(reason)
        }
        defer { server.stop() }
        setenv("PGPASSWORD", server.password, 1)
        let postgres = try recordStages(LineageDatabase(postgres: server.connectionString()), count: 60)
        let sqlite = try recordStages(makeLineageDatabase(), count: 60)
        for (name, times) in [("PostgreSQL (loopback, fsync on)", postgres), ("SQLite (WAL)", sqlite)] {
            print(String(format: "lineage per stage on %@: median %.1f ms (%.1f..%.1f) over %d stages",
                         name, times[times.count / 2], times.first!, times.last!, times.count))
            XCTAssertEqual(times.count, 60, name)
        }
    }
}
