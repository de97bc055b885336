// Data sets as stage artifacts: prepared tasks are sharded (`ShardManifest`: uint8 images [C, H, W]
// per example, int32 labels, splits train/validation/test), described by a small JSON beside them;
// stages read them as the engine's example sources, a batch at a time.
import Datasets
import Engine
import Foundation
import Store

/// What preprocess records beside its shards: class names of both tasks, the normalisation every
/// later stage applies, the image shape, and the images it skipped as unreadable.
struct PreparedDataInfo: Codable, Equatable {
    var targetClasses: [String]
    /// Empty when the pipeline has no source task (pretrain imports weights).
    var sourceClasses: [String]
    var normalization: Normalization
    var channels: Int
    var height: Int
    var width: Int
    /// Image-folder files left out with `skip_bad_images` (absent when none were).
    var skippedImages: [SkippedImage]?

    var imageShape: [Int] { [channels, height, width] }
}

/// The splits of a prepared task, in the order preprocess writes them.
enum TaskSplit {
    static let train = "train"
    static let validation = "validation"
    static let test = "test"
    static let all = [train, validation, test]
}

extension ShardManifest {
    /// What training validates on: the validation split, or the test set when there is none (as the
    /// study did, with `validation_fraction: 0`).
    var validationOrTest: String { (splits[TaskSplit.validation]?.count ?? 0) > 0 ? TaskSplit.validation : TaskSplit.test }

    /// The manifest and every blob it names, as stage outputs: the manifest under `name`, the blobs
    /// under `name.split.…`, so lineage, gc, verify and cache checks see them all.
    func outputs(as name: String) throws -> [String: StageOutput] {
        var outputs: [String: StageOutput] = [name: try .json(self)]
        for (blobName, hash) in blobs(as: name) { outputs[blobName] = .stored(hash: hash, .tensor) }
        return outputs
    }
}

extension StageContext {
    /// The manifest of a sharded data set input.
    func shards(_ port: String, _ output: String) throws -> ShardManifest {
        let data = try store.blobs.read(hash(port, output))
        do {
            return try ShardManifest.decode(data)
        } catch {
            throw StageError.malformedInput(stage: name, input: InputBinding.name(port: port, producer: nil, output: output),
                                            reason: "is not a shard manifest: \(error)")
        }
    }

    /// Split `split` of a sharded input as the engine's examples: uint8 images normalised by
    /// `normalization`, float features as stored (`normalization` nil). Unpacked into this stage's
    /// scratch folder as it is read.
    func examples(_ manifest: ShardManifest, split: String, normalization: Normalization?) throws -> ShardedExamples {
        try ShardedExamples(manifest, split: split, blobs: store.blobs, scratch: scratch.appendingPathComponent("examples"),
                            normalization: normalization)
    }

    /// How many batches the stage's readers fetch ahead: `TLAB_PREFETCH` if set (0 reads on the
    /// computing thread), else the engine's default. Timing only: the batches are the same.
    var prefetchDepth: Int {
        ProcessInfo.processInfo.environment["TLAB_PREFETCH"].flatMap(Int.init).map { max(0, $0) } ?? BatchPrefetcher.defaultDepth
    }
}

