// Training from shards against training from memory, for `tlab bench streaming`: the same head on the
// same features, trained from the whole tensor read into memory from one blob (what a stage did
// before data sets were sharded) and from a sharded data set, both in a temporary store,
// alternately; the weights must come out identical, and the images/s say what streaming costs.
import Datasets
import Engine
import Foundation
import Store

public enum StreamingBenchmark {
    public struct Round: Encodable, Sendable {
        public let round: Int
        public let inMemoryImagesPerSecond: Double
        public let shardedImagesPerSecond: Double
        /// Sharded ÷ in-memory.
        public let ratio: Double
    }

    public struct Result: Encodable, Sendable {
        public let examples: Int
        public let featureShape: [Int]
        public let shards: Int
        /// Whether the split was unpacked into memory (it fits `TLAB_DATA_MEMORY_MIB`) or a scratch file.
        public let unpackedInMemory: Bool
        public let identicalWeights: Bool
        public let rounds: [Round]
    }

    /// Batches read ahead by default, as training does.
    public static let defaultPrefetch = BatchPrefetcher.defaultDepth

    /// Trains the study's frozen head (flatten, BN, dense layers, dropout) for `epochs` on `examples`
    /// random features of a DenseNet-BC-16-8's shape at 32×32 ([C, 8, 8]), batch `batch`, once from
    /// memory and once from shards of `shardMiB` read with `prefetch` batches ahead, `rounds` times.
    public static func run(examples: Int, epochs: Int, batch: Int, shardMiB: Int, prefetch: Int, rounds: Int,
                           progress: (Round) -> Void = { _ in }) throws -> Result {
        let config = ModelConfig(inputShape: [3, 32, 32], backbone: try .bc(depth: 16, growthRate: 8),
                                 head: .studyFrozen(classes: 10))
        let shape = try Model(config, seed: 0).architecture.backboneOutputShape
        let size = shape.reduce(1, *)
        let random = CounterRandom(seed: 5)
        let features = Tensor(zeros: [examples] + shape)
        for i in 0 ..< features.count { features.data[i] = random.normal(at: UInt64(i)) }
        let labels = (0..<examples).map { Int(random.stream(1).bits(at: UInt64($0)) % 10) }

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-bench-streaming-\(UUID().uuidString)")
        defer {
            _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", root.path]).waitUntilExit()
            try? FileManager.default.removeItem(at: root)
        }
        let blobs = try BlobStore.open(root: root)
        // The in-memory path as a stage meets it: the whole tensor in one blob, read into memory.
        let whole = try blobs.putTensors([TensorSource(name: "features", dtype: .f32, shape: [examples] + shape,
                                                       bytes: UnsafeRawBufferPointer(start: features.data, count: examples * size * 4))])
        let writer = ShardedDatasetWriter(blobs: blobs, tensor: "features", dtype: .f32, shape: shape,
                                          maxShardBytes: shardMiB << 20, splits: ["train"])
        try writer["train"].append(UnsafeRawBufferPointer(start: features.data, count: examples * size * 4),
                                   labels: labels.map(Int32.init))
        let manifest = try writer.finish()

        func train(_ source: () throws -> ExampleSource) throws -> (seconds: Double, weights: [Float]) {
            let head = try Model(config, seed: 3).head
            let trainer = Trainer(network: head, optimizer: .adam(parameters: head.trainableParameters, learningRate: 1e-3),
                                  options: TrainingOptions(epochs: epochs, batchSize: batch, seed: 7))
            trainer.prefetchDepth = prefetch
            let start = DispatchTime.now().uptimeNanoseconds
            try trainer.fit(try source())
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            return (seconds, head.namedTensors.flatMap { $0.tensor.array })
        }
        var results: [Round] = [], identical = true, unpackedInMemory = false
        for round in 1...max(rounds, 1) {
            // Both sources are loaded inside the timing: reading the whole blob, or unpacking the shards.
            let memory = try train {
                let loaded = Tensor(zeros: [examples] + shape)
                try blobs.readTensors(whole.hash) { _ in UnsafeMutableRawBufferPointer(start: loaded.data, count: loaded.count * 4) }
                return LabeledExamples(inputs: loaded, labels: labels)
            }
            let sharded = try train {
                let source = try ShardedExamples(manifest, split: "train", blobs: blobs, scratch: root.appendingPathComponent("scratch"),
                                                 normalization: nil)
                unpackedInMemory = source.inMemory
                return source
            }
            identical = identical && memory.weights == sharded.weights
            let images = Double(examples * epochs)
            let result = Round(round: round, inMemoryImagesPerSecond: images / memory.seconds,
                               shardedImagesPerSecond: images / sharded.seconds, ratio: memory.seconds / sharded.seconds)
            results.append(result)
            progress(result)
        }
        return Result(examples: examples, featureShape: shape, shards: manifest.splits["train"]!.shards.count,
                      unpackedInMemory: unpackedInMemory, identicalWeights: identical, rounds: results)
    }
}
