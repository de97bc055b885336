// pretrain: a backbone learns the source task (with a temporary head the output leaves behind), or
// its weights are imported from a torchvision/timm safetensors file or URL, pinned by the SHA-256 the
// pipeline file gives or, without one, by the SHA-256 of what the first run fetched.
import Datasets
import Engine
import Foundation
import Store

extension StageKind {
    public static let pretrain = StageKind("pretrain")
}

struct PretrainStage: StageDefinition {
    static let kind = StageKind.pretrain
    static let version = 2

    struct Parameters: Decodable {
        let architecture: BackboneArchitecture
        let training: TrainingParameters
        let head: HeadPreset
        let pooling: PoolingChoice
        let weights: String?
        let weightsSha256: String?
    }

    static let parameters = BackboneArchitecture.specs + [
        ParameterSpec("head", .choice(HeadPreset.trainable.map(\.rawValue)), .value(.string(HeadPreset.linear.rawValue)),
                      "temporary head for the source task"),
        ParameterSpec("pooling", .choice(PoolingChoice.allCases.map(\.rawValue)), .value(.string(PoolingChoice.avg.rawValue)),
                      "global pooling of a linear temporary head"),
        ParameterSpec("weights", .string, .absent, "safetensors path or URL to import instead of training"),
        ParameterSpec("weights_sha256", .string, .absent,
                      "expected SHA-256 of the imported weights; without it the first run pins what it fetched"),
    ] + TrainingParameters.specs(epochs: 10)
    static let ports = [
        PortSpec("data", [.preprocess], unless: ("weights", nil)),
    ]
    static let traits: StageTraits = [.trains, .perPretrainSeed]
    /// Backbone tensors (names under `features.`).
    static let weightsOutput = "weights"
    /// The `ModelRecipe` of the backbone alone (no head): the temporary head trained here is left
    /// behind, so trained and imported backbones of one architecture describe themselves alike.
    static let architectureOutput = "architecture"

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        if let weights = p.weights { return try importWeights(weights, p, context) }
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        guard context.has("data", PreprocessStage.sourceOutput) else {
            throw StageError.missingInput(stage: context.name, input: "data/\(PreprocessStage.sourceOutput)",
                                          available: context.outputNames(of: "data").filter { !ShardManifest.isPart($0) }.map { "data/\($0)" }
                                            + ["(set source_classes in the preprocess stage)"])
        }
        let source = try context.shards("data", PreprocessStage.sourceOutput)
        let recipe = try ModelRecipe(p.architecture, head: p.head, pooling: p.pooling, inputShape: info.imageShape,
                                     classes: info.sourceClasses.count, stage: context.name)
        let model = try recipe.model(seed: p.training.initialisationSeed)
        let trainer = try TrainingLoop(context: context, parameters: p.training, network: model,
                                       train: context.examples(source, split: TaskSplit.train, normalization: info.normalization),
                                       validation: context.examples(source, split: source.validationOrTest, normalization: info.normalization)).run()
        return StageResult(outputs: [
            Self.weightsOutput: .weights(backboneTensors(of: model), metadata: [:]),
            Self.architectureOutput: try .json(recipe.backboneOnly),
        ], metrics: TrainingLoop.metrics(of: trainer))
    }

    /// Imports `location` (a path or http(s) URL), verified against `weights_sha256`; without it the
    /// fetched file is pinned by its SHA-256 and written as `pinned_source`.
    private func importWeights(_ location: String, _ p: Parameters, _ context: StageContext) throws -> StageResult {
        let expected = p.weightsSha256
        let source = try expected.map { try DataSource.parse(location, checksum: $0.contains(":") ? $0 : "sha256:" + $0) }
            ?? DataSource.unpinned(location)
        let path = try Downloader().fetch(source.withRecordedSizes { PinnedSource.recordedBytes(of: $0, in: context.store) },
                                          into: context.scratch.appendingPathComponent("weights").path)[0]
        let size = max(p.architecture.inputSize, 32)
        let shape = context.has("data", PreprocessStage.infoOutput)
            ? try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput).imageShape : [3, size, size]
        let recipe = try ModelRecipe(p.architecture, head: p.head, pooling: p.pooling, inputShape: shape, classes: 1000,
                                     stage: context.name)
        let model = try Self.importedModel(recipe, stateDict: Data(contentsOf: URL(fileURLWithPath: path)))
        context.message("imported the backbone from \(location)")
        var outputs: [String: StageOutput] = [
            Self.weightsOutput: .weights(backboneTensors(of: model), metadata: [:]),
            Self.architectureOutput: try .json(recipe.backboneOnly),
        ]
        if expected == nil {
            let pinned = try PinnedSource(location: location, file: path)
            context.message("weights \(pinned.note); set weights_sha256: \(pinned.sha256) to require exactly these bytes")
            outputs[PinnedSource.output] = try .json(pinned)
        }
        return StageResult(outputs: outputs)
    }

    /// The model of `recipe` with the backbone of a torchvision/timm state dict saved as safetensors
    /// (`save_file(model.state_dict())`): counters such as `num_batches_tracked` are skipped whatever
    /// their dtype, every other tensor must be float32.
    static func importedModel(_ recipe: ModelRecipe, stateDict file: Data) throws -> Model {
        let stateDict = try SafeTensors.decode(file).engineTensors { !TorchvisionWeights.isIgnored($0) }
        // A NaN or infinity would train silently into a NaN loss and a report that fails far away.
        for name in stateDict.keys.sorted() {
            let tensor = stateDict[name]!
            if let index = tensor.buffer.firstIndex(where: { !$0.isFinite }) {
                throw StageError.malformedTensor(name: name, reason: "holds \(tensor.buffer[index]) at element \(index);"
                                                 + " imported weights must all be finite numbers")
            }
        }
        let model = try recipe.model(seed: 0)
        try model.loadTorchvision(stateDict)
        return model
    }
}
