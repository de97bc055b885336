// report: every variant's evaluation gathered into the comparison report, with the measurements
// lineage holds (training seconds, inference speed) and the provenance of the run computing it.
import Datasets
import Engine
import Foundation
import Reporting
import Store

extension StageKind {
    public static let report = StageKind("report")
}

struct ReportStage: StageDefinition {
    static let kind = StageKind.report
    /// 5: results.csv lists each seed's tied epochs (and pretraining seed), summary.csv and
    /// comparisons.csv say what the figures are nested in or paired over.
    static let version = 5
    /// The `ComparisonReport` rendered, as JSON: what `regenerateReport` renders again.
    static let modelOutput = "report.json"

    struct Parameters: Decodable {
        let title: String?
        let study: Bool
    }

    static let parameters = [
        ParameterSpec("title", .string, .absent, "heading of report.md (default: the pipeline's name)"),
        ParameterSpec("study", .bool, .value(.bool(false)), "show the study's published figures beside ours"),
    ]
    static let ports = [
        PortSpec("evaluations", [.evaluate], many: true),
    ]
    static let traits: StageTraits = [.gathers, .holdsTimings]

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let lineage = context.store.lineage
        let producers = context.producers(of: "evaluations")
        // Each producer is one variant's evaluation for one seed (on one backbone); a variant's seeds
        // come together.
        var variants = [VariantResult]()
        for producer in producers {
            let (name, summary, result) = try seedResult(producer, context: context, lineage: lineage)
            if let index = variants.firstIndex(where: { $0.name == name }) {
                // A random-init variant's copies on each backbone are one computation (the same keys):
                // counted once, as the seeds they are, not as samples of backbones.
                if result.backbone == nil, variants[index].runs.contains(where: { $0.seed == result.seed && $0.backbone == nil }) {
                    continue
                }
                variants[index].runs.append(result)
            } else {
                variants.append(VariantResult(
                    name: name, initialization: summary.initialization, frozenPart: summary.frozenPart, head: summary.head,
                    trainableParameters: summary.trainableParameters, totalParameters: summary.totalParameters,
                    runs: [result]))
            }
        }
        // Every variant reads the same prepared data, as a rule; list each skipped file once anyway.
        var skipped: [SkippedImage] = []
        for producer in producers {
            let evaluation = try context.json(EvaluationResult.self, "evaluations", EvaluateStage.evaluationOutput, from: producer)
            for file in evaluation.skippedImages ?? [] where !skipped.contains(file) { skipped.append(file) }
        }
        var report = ComparisonReport(variants: variants, provenance: try provenance(context, lineage: lineage),
                                      dagMermaid: context.pipeline.renderDAG(.mermaid),
                                      studyFigures: p.study ? StudyFigure.denseNetCIFAR10 : [:],
                                      title: p.title,
                                      skippedImages: skipped.isEmpty ? nil : skipped)
        let upstream = Set(context.pipeline.graph.upstream(of: context.name))
        report.backbones = context.pipeline.stages.filter { $0.kind == .pretrain && upstream.contains($0.name) }.count
        var outputs: [String: StageOutput] = [Self.modelOutput: try .json(report)]
        for (name, text) in try ReportWriter.render(report) {
            let type: MediaType = name.hasSuffix(".md") ? .markdown : name.hasSuffix(".csv") ? .csv : .svg
            outputs[name] = .text(text, type)
        }
        return StageResult(outputs: outputs)
    }

    /// One seed's result: the evaluation of `producer`, its inference speed and its fine-tune's training
    /// time, both read from the stage runs that first produced those artifacts. The seed is the
    /// producer's seed copy's, or, for a stage not repeated over seeds, its fine-tune's seed parameter;
    /// the backbone is the copy's pretraining seed, for a variant that starts from the backbone's weights.
    private func seedResult(_ producer: String, context: StageContext, lineage: LineageDatabase) throws
        -> (variant: String, summary: FineTuneSummary, result: SeedResult) {
        let port = "evaluations", output = EvaluateStage.evaluationOutput
        let evaluation = try context.json(EvaluationResult.self, port, output, from: producer)
        // Named here, where the producing stage is known: a pipeline without variants has none to name.
        for (field, value) in [("test accuracy", evaluation.accuracy), ("test loss", evaluation.loss),
                               ("last-epoch test accuracy", evaluation.lastEpochAccuracy),
                               ("last-epoch test loss", evaluation.lastEpochLoss)] where !value.isFinite {
            throw StageError.malformedInput(stage: context.name, input: "\(port) from stage '\(producer)'",
                                            reason: "has \(field) \(value), not a finite number; the model it evaluated"
                                                + " holds NaN or infinite weights: rerun its fine-tune with a lower learning rate")
        }
        let evaluateRun = try producingRun(of: context.hash(port, output, from: producer), lineage: lineage)
        let fineTuneRun = try evaluateRun.flatMap { $0.inputs["model/\(FineTuneStage.summaryOutput)"] }
            .flatMap { try producingRun(of: $0, lineage: lineage) }
        func metric(_ name: String, of run: StageRunDetail?) throws -> Double {
            guard let id = run?.record.id else { return 0 }
            return try lineage.metrics(ofStageRun: id).first { $0.name == name }?.value ?? 0
        }
        let summary = evaluation.summary
        let planned = context.pipeline.stages.first { $0.name == producer }
        let result = SeedResult(
            seed: planned?.seed ?? summary.seed, epochsRun: summary.epochsRun, selectedEpoch: summary.selectedEpoch,
            selectedOn: summary.selectedOn, testAccuracy: evaluation.accuracy, testLoss: evaluation.loss,
            lastEpochTestAccuracy: evaluation.lastEpochAccuracy, lastEpochTestLoss: evaluation.lastEpochLoss,
            trainingSeconds: try metric(TrainingLoop.trainingSecondsMetric, of: fineTuneRun), curves: summary.curves,
            confusion: ConfusionMatrix(classNames: evaluation.classNames, counts: evaluation.confusion),
            inferenceImagesPerSecond: try metric(EvaluateStage.imagesPerSecondMetric, of: evaluateRun),
            tiedEpochs: summary.tiedEpochs,
            backbone: summary.initialization == .pretrained ? planned?.backbone : nil)
        return (planned?.variant ?? StageNaming.split(producer).group, summary, result)
    }

    /// The stage run that first wrote artifact `hash`.
    private func producingRun(of hash: String, lineage: LineageDatabase) throws -> StageRunDetail? {
        try lineage.artifact(hashPrefix: hash).producedBy.flatMap { try lineage.stageRun(id: $0) }
    }

    /// Provenance relative to the run computing the report: each upstream stage as it went in that
    /// run (computed, or a cache hit), so the report is a function of lineage alone.
    private func provenance(_ context: StageContext, lineage: LineageDatabase) throws -> Provenance {
        guard let run = try lineage.run(id: context.runID) else {
            throw LineageError.unknownRun(id: context.runID, database: lineage.path)
        }
        let upstream = Set(context.pipeline.graph.upstream(of: context.name))
        let stages = try lineage.stageRuns(ofRun: context.runID).filter { $0.status == .finished && upstream.contains($0.stage) }
        return Provenance(
            pipelineName: run.pipeline, pipelineFileHash: run.pipelineHash,
            stages: stages.map { record in
                StageProvenance(name: record.stage, kind: StageKind(rawValue: record.kind) ?? .report, keyPrefix: String(record.key.prefix(12)),
                                cache: record.cacheHit ? .hit : .computed, seconds: record.seconds ?? 0)
            },
            toolVersion: run.toolVersion, engineVersion: String(Engine.engineVersion), seed: UInt64(run.seed ?? 0),
            machine: .current, runDate: run.started, recipeWarnings: context.stage.carriedWarnings)
    }
}
