// What a running stage sees: its parameters, its input artifacts (decoded from the store), a scratch
// folder, a progress sink, and checkpoints that outlive a crash.
import Datasets
import Engine
import Foundation
import MPITransport
import Reporting
import Store

/// The world of one stage run. Inputs are addressed as the pipeline file binds them: port and the
/// producer's output name (`context.tensors("data", "target")`); for a port that takes several
/// stages (the report's `evaluations`), also the producer (`from: "evaluate@frozen"`).
final class StageContext {
    let stage: PlannedStage
    let pipeline: PipelinePlan
    /// The run this stage run belongs to.
    let runID: Int64
    /// A fresh folder for temporary files, removed when the stage ends.
    let scratch: URL
    let store: PipelineStore
    let inputs: [String: InputArtifact]
    /// What the key was computed from (including the fingerprint of local files the stage reads).
    let material: KeyMaterial
    let key: StageKey
    let stageRunID: Int64
    let resumeFrom: ResumePoint?
    let options: ExecutorOptions
    let events: ExecutionEventSink

    init(stage: PlannedStage, pipeline: PipelinePlan, runID: Int64, stageRunID: Int64, material: KeyMaterial,
         inputs: [String: InputArtifact], store: PipelineStore, resumeFrom: ResumePoint?,
         scratch: URL, options: ExecutorOptions, events: @escaping ExecutionEventSink) {
        self.stage = stage
        self.pipeline = pipeline
        self.runID = runID
        self.stageRunID = stageRunID
        self.material = material
        key = material.key
        self.inputs = inputs
        self.store = store
        self.resumeFrom = resumeFrom
        self.scratch = scratch
        self.options = options
        self.events = events
    }

    var name: String { stage.name }
    // MARK: Inputs

    /// The stages feeding `port`, in the file's order.
    func producers(of port: String) -> [String] {
        stage.inputs.filter { $0.port == port }.map(\.stage)
    }

    /// Whether `port` has an output called `output` (from `producer` for a many-stage port).
    func has(_ port: String, _ output: String, from producer: String? = nil) -> Bool {
        inputs[InputBinding.name(port: port, producer: producer, output: output)] != nil
    }

    /// The content hash of an input.
    func hash(_ port: String, _ output: String, from producer: String? = nil) throws -> String {
        let name = InputBinding.name(port: port, producer: producer, output: output)
        guard let input = inputs[name] else {
            throw StageError.missingInput(stage: self.name, input: name, available: inputs.keys.filter { !ShardManifest.isPart($0) }.sorted())
        }
        return input.hash
    }

    /// A tensor input, whole in memory, verified against its hash.
    func tensors(_ port: String, _ output: String, from producer: String? = nil) throws -> TensorArchive {
        try store.blobs.readTensors(hash(port, output, from: producer))
    }

    /// A JSON input decoded as `type`.
    func json<T: Decodable>(_ type: T.Type, _ port: String, _ output: String, from producer: String? = nil) throws -> T {
        let data = try store.blobs.read(hash(port, output, from: producer))
        do {
            return try decodeJSON(type, from: data)
        } catch {
            throw StageError.malformedInput(stage: name, input: InputBinding.name(port: port, producer: producer, output: output),
                                            reason: "is not the JSON this stage reads (\(T.self)): \(error)")
        }
    }

    /// A raw input copied into the scratch folder under its output name; returns its path.
    func file(_ port: String, _ output: String) throws -> URL {
        let url = scratch.appendingPathComponent("inputs/\(port)/\(output)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try store.blobs.export(hash(port, output), to: url)
        return url
    }

    /// The output names `port` provides (from `producer` for a many-stage port), sorted.
    func outputNames(of port: String, from producer: String? = nil) -> [String] {
        let prefix = InputBinding.name(port: port, producer: producer, output: "")
        return inputs.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    // MARK: Progress

    /// Tells whoever watches the run something worth a line.
    func message(_ text: String) {
        // Messages quote file names and URLs from outside: escaped and redacted once, here.
        events(.message(stage: name, text: printable(text, limit: 2000)))
    }

    /// How the trainer shows batches: a live line when the executor asks for one, else nothing.
    var batchProgress: TrainingProgress.Style {
        options.liveBatchProgress && !options.quiet ? .live : .quiet
    }

    /// Reports a finished epoch (`record.epoch` is 0-based) as an `epochSummary` event.
    func epochFinished(_ record: Engine.EpochRecord, of epochs: Int) throws {
        // Recorded as each epoch ends so that `tlab serve` can draw a running stage's curves; the final
        // commit writes the same points again with the rest of the stage's record. Only rank 0 of an
        // MPI job has a stage run to record them under.
        if isRankZero { try store.lineage.recordMetrics(stageRunID: stageRunID, TrainingLoop.epochPoints(record)) }
        guard !options.quiet else { return }
        var line = "epoch \(record.epoch + 1)/\(epochs)  loss " + String(format: "%.4f", record.loss)
            + "  accuracy " + String(format: "%.2f%%", 100 * record.accuracy)
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            line += "  val_loss " + String(format: "%.4f", loss) + "  val_accuracy " + String(format: "%.2f%%", 100 * accuracy)
        }
        line += "  lr \(Float(record.learningRate))  " + String(format: "%.1f s", record.seconds)
        events(.epochSummary(stage: name, line: line))
    }

    // MARK: Ranks

    /// Whether this process records and stores: alone, or rank 0 of an MPI job.
    var isRankZero: Bool { (options.ranks?.rank ?? 0) == 0 }

    /// How this stage's `shards` shards of each batch are spread: over the ranks of the MPI job when
    /// every rank computes this stage, else all in this process.
    func shardExchange(shards: Int) throws -> any ShardExchange {
        guard let world = options.ranks, world.size > 1, stage.computedByEveryRank else { return LocalShards(shardCount: shards) }
        return try MPIShardExchange(world: world, shardCount: shards)
    }

    // MARK: Checkpoints

    /// Stores `checkpoint` (taken after `step` epochs) as a blob and records it in lineage at once,
    /// so a run killed later resumes from here.
    /// Other ranks of an MPI job hold the same state and write nothing.
    func saveCheckpoint(_ checkpoint: Checkpoint, step: Int) throws {
        guard isRankZero else { return }
        let blob = try withTensorSources(checkpoint.tensors) { try store.blobs.putTensors($0, metadata: checkpoint.metadata) }
        try store.lineage.recordCheckpoint(stageRunID: stageRunID, key: key.hex, step: step,
                                           artifact: ArtifactRecord(blob: blob, mediaType: .tensor))
    }

    /// The checkpoint an earlier, unfinished stage run of the same key left, if any: a training
    /// stage restores it and continues where that run stopped.
    func latestCheckpoint() throws -> (checkpoint: Checkpoint, step: Int)? {
        guard let record = resumeFrom else { return nil }
        let archive = try store.blobs.readTensors(record.hash)
        let tensors = try archive.tensors.map { (name: $0.name, tensor: try $0.engineTensor()) }
        return (Checkpoint(tensors: tensors, metadata: archive.metadata), record.step)
    }
}
