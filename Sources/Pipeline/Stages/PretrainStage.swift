// pretrain: a backbone learns the source task (with a temporary head the output leaves behind), or
// its weights are imported from a torchvision/timm safetensors file or URL pinned by a checksum.
import Engine
import Foundation
import Store

struct PretrainStage: Stage {
    static let kind = StageKind.pretrain
    static let version = 2
    /// Backbone tensors (names under `features.`).
    static let weightsOutput = "weights"
    /// The `ModelRecipe` of the backbone alone (no head): the temporary head trained here is left
    /// behind, so trained and imported backbones of one architecture describe themselves alike.
    static let architectureOutput = "architecture"

    func run(_ context: StageContext) throws -> StageResult {
        if let weights = context.parameters.optionalString("weights") { return try importWeights(weights, context) }
        let info = try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput)
        guard context.has("data", PreprocessStage.sourceOutput) else {
            throw StageError.missingInput(stage: context.name, input: "data/\(PreprocessStage.sourceOutput)",
                                          available: context.outputNames(of: "data").filter { !ShardManifest.isPart($0) }.map { "data/\($0)" }
                                            + ["(set source_classes in the preprocess stage)"])
        }
        let source = try context.shards("data", PreprocessStage.sourceOutput)
        let recipe = try ModelRecipe(backbone: context.parameters, inputShape: info.imageShape,
                                     classes: info.sourceClasses.count, stage: context.name)
        let model = try recipe.model(seed: context.random.stream(2).bits(at: 0))
        let trainer = try TrainingLoop(context: context, network: model,
                                       train: context.examples(source, split: TaskSplit.train, normalization: info.normalization),
                                       validation: context.examples(source, split: source.validationOrTest, normalization: info.normalization)).run()
        return StageResult(outputs: [
            Self.weightsOutput: .weights(backboneTensors(of: model), metadata: [:]),
            Self.architectureOutput: try .json(recipe.backboneOnly),
        ], metrics: TrainingLoop.metrics(of: trainer))
    }

    /// Imports `location` (a path or http(s) URL), verified against `weights_sha256`.
    private func importWeights(_ location: String, _ context: StageContext) throws -> StageResult {
        let p = context.parameters
        guard let sha256 = p.optionalString("weights_sha256") else {
            throw StageError.unsupported(stage: context.name, parameter: "weights_sha256", value: "missing",
                                         expected: "the SHA-256 of \(location), so the stage key pins the weights' content")
        }
        let source = try DataSource.parse(location, checksum: sha256.contains(":") ? sha256 : "sha256:" + sha256)
        let path = try Downloader().fetch(source, into: context.scratch.appendingPathComponent("weights").path)[0]
        let stateDict = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: path))).engineTensors()
        let size = max(p.int("input_size"), 32)
        let shape = context.has("data", PreprocessStage.infoOutput)
            ? try context.json(PreparedDataInfo.self, "data", PreprocessStage.infoOutput).imageShape : [3, size, size]
        let recipe = try ModelRecipe(backbone: p, inputShape: shape, classes: 1000, stage: context.name)
        let model = try recipe.model(seed: 0)
        try model.loadTorchvision(stateDict)
        context.message("imported \(stateDict.count) tensors from \(location)")
        return StageResult(outputs: [
            Self.weightsOutput: .weights(backboneTensors(of: model), metadata: [:]),
            Self.architectureOutput: try .json(recipe.backboneOnly),
        ])
    }
}
