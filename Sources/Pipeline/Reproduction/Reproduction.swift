// `tlab reproduce`: every stage in a run's lineage (or in a report's) computed again from its inputs in
// a scratch store, and each stage's outputs compared with what was recorded. Stages are keyed by
// content, so a stage whose outputs reproduce bit for bit proves its inputs did too: the whole chain,
// from the download to the report, is checked.
import Engine
import Foundation
import Reporting
import Store

/// What to reproduce.
public enum ReproductionScope: Sendable {
    /// Every finished stage run of the run.
    case run(Int64)
    /// The stage runs some artifacts (a report file's, a stage's outputs) were computed from.
    case artifacts([String])
}

public enum Reproduction {
    /// Recomputes `scope` from `store`'s lineage in a new store at `scratch` (which it leaves for the
    /// caller to remove) with `options`, and compares every stage's outputs with the recorded ones.
    public static func run(_ scope: ReproductionScope, of store: PipelineStore, scratch: URL,
                           options: ExecutorOptions, events: @escaping ExecutionEventSink) throws -> ReproductionCertificate {
        let (recorded, run) = try recordedStages(scope, in: store)
        let report = try recordedReport(recorded, store: store)
        // Each input is read from the stage that computed it. A stage whose key another stage had
        // computed first (variants sharing a freeze) was a cache hit, and lineage leads to the stage
        // run that computed the artifact, under that stage's name; keys see hashes, not names.
        let names = Set(recorded.map(\.name))
        var producers: [String: String] = [:]
        for stage in recorded {
            for hash in stage.detail.outputs.values where producers[hash] == nil { producers[hash] = stage.name }
        }
        for stage in recorded {
            for (input, artifact) in stage.material.inputs
            where !names.contains(artifact.stage) && producers[artifact.hash] == nil {
                throw ReproductionError.missingProducer(stage: stage.name, input: input)
            }
        }
        let producer = { (artifact: InputArtifact) -> String in
            if names.contains(artifact.stage) { return artifact.stage }
            // Read under the name its producer had when it ran, which the reproduced run has renamed.
            if let renamed = recorded.first(where: { $0.detail.record.stage == artifact.stage
                                                     && $0.detail.outputs.values.contains(artifact.hash) }) {
                return renamed.name
            }
            return producers[artifact.hash]!
        }
        // The report lists its variants and seeds in the order it read them; keep that order, under
        // the names the inputs are planned with.
        let order = report.map { r in
            recorded.first { $0.material.kind == .report }?.material.inputs.values.sorted {
                position(of: $0.stage, in: r).lexicographicallyPrecedes(position(of: $1.stage, in: r))
            }.map(producer) ?? []
        } ?? []
        let plan = PipelinePlan(reconstructing: try recorded.map { try $0.planned(order: order, producer: producer) }, name: run.pipeline,
                                runHash: run.pipelineHash, seed: Int(run.seed ?? 0))
        let scratchStore = try PipelineStore(root: scratch)
        let summary = try Executor(plan: plan, store: scratchStore, options: options, events: events).run()
        let recomputed = try scratchStore.lineage.stageRuns(ofRun: summary.runID)
        let stages = try plan.stages.map { planned -> StageReproduction in
            let stage = recorded.first { $0.name == planned.name }!
            guard let record = recomputed.last(where: { $0.stage == planned.name }), record.status == .finished,
                  let detail = try scratchStore.lineage.stageRun(id: record.id!) else {
                let failure = summary.stage(planned.name).map { "\($0.state)" } ?? "not run"
                return StageReproduction(stage: stage, verdict: .failed(failure))
            }
            let outputs = try detail.outputs.mapValues { try scratchStore.lineage.artifact(hashPrefix: $0) }
            if planned.kind.traits.contains(.holdsTimings) {
                return StageReproduction(stage: stage, verdict: try compareReports(stage, outputs, store, scratchStore))
            }
            let comparison = Recomputation(recorded: stage.detail, outputs: outputs, recordedBlobs: store.blobs,
                                           recomputedBlobs: scratchStore.blobs)
            return StageReproduction(stage: stage, verdict: comparison.identical ? .identical
                                     : .differs(comparison.differences, unmatched: comparison.unmatched))
        }
        return ReproductionCertificate(
            pipeline: run.pipeline, scope: scope, recordedRun: run, stages: stages,
            recordedMachine: report?.provenance.machine, recordedHosts: Array(Set(recorded.map(\.detail.record.host))).sorted(),
            currentMachine: .current, currentHost: ProcessIdentity.current.host, currentEngine: Engine.engineVersion,
            currentTool: options.toolVersion, date: Date())
    }

    /// The finished stage runs `scope` covers, in the order they ran, and the run they belong to.
    private static func recordedStages(_ scope: ReproductionScope, in store: PipelineStore) throws
        -> (stages: [RecordedStage], run: RunRecord) {
        let lineage = store.lineage
        let ids: [Int64], target: String
        switch scope {
        case .run(let id):
            target = "run \(id)"
            ids = try lineage.stageRuns(ofRun: id).filter { $0.status == .finished }.map { $0.id! }
        case .artifacts(let hashes):
            target = "artifact " + hashes.map { String($0.prefix(12)) }.joined(separator: ", ")
            ids = Set(try hashes.flatMap { try lineage.ancestors(of: $0).stageRuns.map { $0.stageRun.id! } }).sorted()
        }
        let details = try ids.compactMap { try lineage.stageRun(id: $0) }
        guard let last = details.last, let run = try lineage.run(id: last.record.runID) else {
            throw ReproductionError.nothingToReproduce(target: target)
        }
        // An artifact's lineage leads to the stage runs that first computed each artifact, under the
        // names their pipeline had then; the run being reproduced may have read them under others
        // (`pretrain_seeds` added since names the first backbone's copies `…~seed`), and its report
        // groups its inputs by name. Where that run gave a key exactly one name, plan it under that.
        var current: [String: String] = [:]
        if case .artifacts = scope {
            for (key, rows) in Dictionary(grouping: try lineage.stageRuns(ofRun: last.record.runID), by: \.key)
            where Set(rows.map(\.stage)).count == 1 {
                current[key] = rows[0].stage
            }
        }
        return (try details.map { try RecordedStage($0, name: current[$0.record.key]) }, run)
    }

    /// The report model the reproduced lineage's report stage recorded, if it has one.
    private static func recordedReport(_ stages: [RecordedStage], store: PipelineStore) throws -> ComparisonReport? {
        guard let hash = stages.last(where: { $0.material.kind == .report })?.detail.outputs[ReportStage.modelOutput] else {
            return nil
        }
        return try? decodeJSON(ComparisonReport.self, from: try store.blobs.read(hash))
    }

    /// Where an evaluation's producer comes in `report`: by its variant, then its backbone and seed.
    private static func position(of producer: String, in report: ComparisonReport) -> [Int] {
        let parts = StageNaming.parts(producer)
        let variant = parts.variant ?? parts.template
        guard let v = report.variants.firstIndex(where: { $0.name == variant }) else { return [Int.max] }
        guard let seed = parts.seed else { return [v, 0] }
        return [v, report.variants[v].runs.firstIndex { $0.seed == seed && ($0.backbone ?? parts.backbone) == parts.backbone } ?? 0]
    }

    /// A report is the one artifact that holds measurements (training seconds, images per second) and
    /// its run's provenance, so it cannot come out bit-identical: its model is compared without them.
    private static func compareReports(_ stage: RecordedStage, _ outputs: [String: ArtifactRecord],
                                       _ store: PipelineStore, _ scratch: PipelineStore) throws -> StageReproduction.Verdict {
        guard let old = stage.detail.outputs[ReportStage.modelOutput], let new = outputs[ReportStage.modelOutput] else {
            return .differs([], unmatched: [ReportStage.modelOutput])
        }
        let recorded = try canonicalJSON(withoutMeasurements(try decodeJSON(ComparisonReport.self, from: store.blobs.read(old))))
        let recomputed = try canonicalJSON(withoutMeasurements(try decodeJSON(ComparisonReport.self, from: scratch.blobs.read(new.hash))))
        guard let difference = ArtifactComparison.difference(output: ReportStage.modelOutput, recorded: recorded,
                                                             recomputed: recomputed, mediaType: .json) else {
            return .identicalApartFromMeasurements
        }
        return .differs([difference], unmatched: [])
    }

    /// `report` with what differs between identical runs cleared: measured times and speeds, and the
    /// provenance and DAG drawing of the run that computed it.
    static func withoutMeasurements(_ report: ComparisonReport) -> ComparisonReport {
        var report = report
        for v in report.variants.indices {
            for r in report.variants[v].runs.indices {
                report.variants[v].runs[r].trainingSeconds = 0
                report.variants[v].runs[r].inferenceImagesPerSecond = 0
            }
        }
        report.provenance = Provenance(pipelineName: report.provenance.pipelineName, pipelineFileHash: "", stages: [],
                                       toolVersion: "", engineVersion: "", seed: report.provenance.seed,
                                       machine: Machine(cores: 0, cpuModel: "", operatingSystem: ""),
                                       runDate: Date(timeIntervalSince1970: 0))
        report.dagMermaid = ""
        return report
    }
}
