// The cost of recording stages in a lineage database, as a run records them: what `tlab bench lineage`
// prints. A measurement, never a test: a loaded machine may be slow without anything being wrong.
import Foundation

public enum LineageBenchmark {
    /// Records `count` stages in `lineage` as a run does (claim, start, finish with 2 inputs, 3 outputs
    /// and 36 metric points, release), then a cache hit of each; returns the milliseconds per stage,
    /// sorted. The rows go into a run of pipeline `bench-lineage`, so use a scratch database.
    public static func recordStages(_ lineage: LineageDatabase, count: Int) throws -> [Double] {
        let run = try lineage.startRun(pipeline: "bench-lineage", pipelineHash: "h", seed: 1, toolVersion: "bench")
        let runTag = UUID().uuidString.prefix(8)
        func artifact(_ label: String) -> ArtifactRecord {
            ArtifactRecord(hash: Digest.sha256Hex(Data("\(runTag) \(label)".utf8)), mediaType: .tensor,
                           rawBytes: 1000, storedBytes: 1009)
        }
        let sources = [artifact("source a"), artifact("source b")]
        let seed = try lineage.startStageRun(runID: run.id!, key: "\(runTag)-seed", stage: "seed", kind: "download", params: "{}")
        try lineage.finishStageRun(seed.id!, inputs: [:], outputs: ["a": sources[0], "b": sources[1]], seconds: 0)
        let metrics = (1...12).flatMap { step in
            ["loss", "accuracy", "val_loss"].map { MetricPoint(name: $0, step: step, value: Double(step) / 7) }
        }
        var times: [Double] = []
        for index in 0..<count {
            let start = DispatchTime.now()
            let key = "\(runTag)-key-\(index)"
            guard case .claimed(let token) = try lineage.claim(key, lease: 30) else {
                throw LineageError.claimContended(key: key)
            }
            let stage = try lineage.startStageRun(runID: run.id!, key: key, stage: "s\(index)", kind: "fine-tune",
                                                  params: #"{"epochs":12}"#, material: #"{"kind":"fine-tune"}"#)
            try lineage.finishStageRun(stage.id!, inputs: ["a": sources[0].hash, "b": sources[1].hash],
                                       outputs: ["weights": artifact("w\(index)"), "summary": artifact("s\(index)"),
                                                 "architecture": artifact("a\(index)")],
                                       metrics: metrics, seconds: 1, claim: StageClaim(key: key, token: token))
            try lineage.release(key, token: token)
            guard let cached = try lineage.cachedStageRun(key: key) else { throw LineageError.claimContended(key: key) }
            _ = try lineage.recordCacheHit(runID: run.id!, stage: "hit\(index)", from: cached)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        try lineage.finishRun(run.id!, status: .finished)
        return times.sorted()
    }
}
