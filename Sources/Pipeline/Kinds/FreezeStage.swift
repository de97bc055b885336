// freeze: decide which part of the backbone stays fixed and, when it is all of it (and features are
// wanted), run the backbone once in inference mode over the target task's images and store the
// features, so a frozen variant's head trains without running the backbone again.
import Datasets
import Engine
import Foundation
import Store

extension StageKind {
    public static let freeze = StageKind("freeze")
}

struct FreezeStage: StageDefinition {
    static let kind = StageKind.freeze
    static let version = 2

    struct Parameters: Decodable {
        let freeze: Freezing
        let cacheFeatures: Bool
        let batch: Int
        let shardMib: Int
    }

    static let parameters = [
        ParameterSpec("freeze", .choice(Freezing.spellings), .value(.string(Freezing.none.spelling)),
                      "what stays fixed: nothing, the whole backbone, or everything up to a named block/layer"),
        ParameterSpec("cache_features", .bool, .value(.bool(true)),
                      "with the whole backbone frozen, run it once and store the features"),
        ParameterSpec("batch", ParameterSpec.batch, .value(.int(64)), inKey: false, "images per inference batch when caching features"),
        ParameterSpec.shardSize("cached features"),
    ]
    static let ports = [
        PortSpec("backbone", [.pretrain]), PortSpec("data", [.preprocess]),
    ]
    static let traits: StageTraits = [.perVariant]
    /// The backbone weights, handed on unchanged (the same blob as pretrain's).
    static let weightsOutput = PretrainStage.weightsOutput
    /// The recipe with its freezing set.
    static let architectureOutput = PretrainStage.architectureOutput
    /// A sharded data set of the backbone's output per image (`features`, float32), splits train,
    /// validation and test, with the images' labels.
    static let featuresOutput = "features"

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        var recipe = try context.json(ModelRecipe.self, "backbone", PretrainStage.architectureOutput)
            .with(head: .none, pooling: .avg, classes: info.targetClasses.count, freezing: p.freeze)
        recipe.inputShape = info.imageShape
        let model = try recipe.model(seed: 0)  // also checks that an up-to target names a layer
        let weights = try context.tensors("backbone", PretrainStage.weightsOutput)
        var outputs: [String: StageOutput] = [
            Self.weightsOutput: .tensors(weights),
            Self.architectureOutput: try .json(recipe),
        ]
        if recipe.freezing == .backbone && p.cacheFeatures {
            try model.load(weights.engineTensors(), partial: true)
            let images = try context.shards("data", PreprocessStage.targetOutput)
            let writer = ShardedDatasetWriter(blobs: context.store.blobs, tensor: "features", dtype: .f32,
                                              shape: model.architecture.backboneOutputShape, maxShardBytes: p.shardMib << 20,
                                              splits: TaskSplit.all)
            var progress = StageProgress(context, total: TaskSplit.all.reduce(0) { $0 + images.splits[$1]!.count }, "features")
            for split in TaskSplit.all {
                let examples = try context.examples(images, split: split, normalization: info.normalization)
                try model.features(of: examples, batchSize: p.batch, prefetchDepth: context.prefetchDepth) { _, features, labels in
                    try writer[split].append(UnsafeRawBufferPointer(start: features.data, count: features.count * 4),
                                             labels: labels.map(Int32.init))
                    progress.advance(by: labels.count)
                }
            }
            let count = progress.done
            outputs.merge(try writer.finish().outputs(as: Self.featuresOutput)) { $1 }
            context.message("cached backbone features \(model.architecture.backboneOutputShape) for \(count) images")
        }
        return StageResult(outputs: outputs)
    }
}
