// A pipeline ready to execute: parsed, overridden, checked, variants expanded, stages in order.
import Foundation
import Reporting
import Store
import Yams

/// One input of a planned stage: input `port` reads the outputs of stage `stage`.
public struct StageInput: Hashable, Sendable {
    public let port: String
    public let stage: String
}

/// One stage to run, after variant and seed expansion: `finetune@frozen` is the `finetune` stage of
/// the file in variant `frozen`, and `finetune@frozen#2` its copy for seed 2.
public struct PlannedStage: Sendable {
    /// Unique in the plan: the file's name, `name@variant` for a per-variant copy, and `#seed` after
    /// that for a per-seed copy (`StageNaming`).
    public let name: String
    /// The stage's name in the file.
    public let template: String
    public let variant: String?
    /// The seed of a per-seed copy; nil for a stage that is not repeated.
    public let seed: Int?
    /// The pretraining seed of the backbone a copy in the backbone branch stands on (`pretrain~7`,
    /// `finetune@frozen~7#2`); nil without `pretrain_seeds`.
    public var backbone: Int? = nil
    public let kind: StageKind
    public let parameters: StageParameters
    /// In the file's order; a `many` port appears once per stage it reads.
    public let inputs: [StageInput]
    /// Where the stage is declared.
    public let location: SourceLocation

    /// The name without the seed: what all seeds' copies of this stage share (`finetune@frozen`,
    /// `finetune@frozen~7` on backbone 7).
    public var group: String { StageNaming.name(template: template, variant: variant, backbone: backbone, seed: nil) }
}

/// A checked pipeline. Build it with `PipelinePlan(contentsOf:overrides:)`; it either holds a
/// whole valid pipeline or throws every problem found, each with its file position.
///
/// The file (docs/pipeline-format.md has the whole reference):
/// ```yaml
/// name: smoke
/// seed: 7
/// stages:
///   prep:     { kind: preprocess, inputs: { raw: data }, params: { target_classes: [5, 6] } }
///   finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { lr: 1e-3 } }
///   …
/// variants:
///   frozen:   { freeze: backbone, head: study-frozen }
/// ```
/// Parameters not stated take their kind's defaults (`StageSchema`); each variant gets its own
/// copy of the freeze → fine-tune → evaluate branch (`finetune@frozen`), each seed of a repeated
/// pipeline its own fine-tune → evaluate (`finetune@frozen#2`), upstream stages are shared, and a
/// report reads every variant's and seed's evaluation.
public struct PipelinePlan: Sendable {
    public let name: String
    /// The path the file was read from, as given.
    public let file: String
    /// SHA-256 of the file's bytes (before overrides), for a report's provenance block.
    public let fileHash: String
    /// What a run records as its pipeline: `fileHash` without overrides; with them, SHA-256 of the
    /// file's bytes followed by a NUL and each override, so runs of one file with different `-S`
    /// settings are told apart.
    public let runHash: String
    public let seed: Int
    /// Variant names in file order; empty when the file has none.
    public let variants: [String]
    /// Every seed some stage is repeated over, in order of first appearance; empty when none is.
    public let seeds: [Int]
    /// Every stage in execution order: after its inputs, ties broken by file order.
    public let stages: [PlannedStage]
    public let graph: StageGraph
    /// What the recipe check found, acknowledged ones (`accept_warnings`) marked; empty for a plan
    /// rebuilt from lineage, whose report stage carries the warnings its run had.
    public let recipeWarnings: [RecipeWarning]

    /// Reads, overrides (`TARGET=VALUE` strings as given after `-S`), checks and expands `path`.
    public init(contentsOf path: String, overrides: [String] = []) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PipelineError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.unreadable(path: path, reason: "not UTF-8 text")
        }
        try self.init(yaml: text, file: path, overrides: overrides)
    }

    /// As `init(contentsOf:overrides:)`, from text; `file` names it in error messages.
    public init(yaml: String, file: String, overrides: [String] = []) throws {
        var document: PipelineDocument
        do {
            document = try PipelineDocument(yaml: yaml, path: file)
        } catch let error as PipelineError {
            throw PipelineError.many(inReadingOrder(error.all))
        }
        let overrideErrors = document.apply(overrides: overrides)
        let resolved: ResolvedPipeline
        do {
            resolved = try ResolvedPipeline(document)
        } catch let error as PipelineError {
            throw PipelineError.many(inReadingOrder(overrideErrors + error.all))
        }
        if !overrideErrors.isEmpty { throw PipelineError.many(overrideErrors) }
        let (accepted, minBatch) = try Self.checkSettings(document)
        let graph = StageGraph(names: resolved.stages.map(\.name), edges: resolved.stages.flatMap { stage in
            stage.inputs.map { StageGraph.Edge(from: $0.stage, to: stage.name, port: $0.port) }
        })
        // Cycles were rejected on the file's stages, and expansion cannot make one.
        let order = graph.topologicalOrder()!
        let byName = Dictionary(uniqueKeysWithValues: resolved.stages.map { ($0.name, $0) })
        self.name = document.name
        self.file = file
        self.fileHash = Digest.sha256Hex(Data(yaml.utf8))
        self.runHash = overrides.isEmpty ? fileHash
            : Digest.sha256Hex(Data(([yaml] + overrides).joined(separator: "\u{0}").utf8))
        self.seed = resolved.seed
        self.variants = document.variants.map(\.name)
        var seeds = [Int]()
        for seed in resolved.stages.compactMap(\.seed) where !seeds.contains(seed) { seeds.append(seed) }
        self.seeds = seeds
        let check = RecipeCheck(stages: order.map { byName[$0]! }, seedCount: max(seeds.count, 1),
                                minBatchNormBatch: minBatch, accepted: accepted)
        self.recipeWarnings = check.warnings
        self.stages = order.map { byName[$0]!.carrying(check.warnings) }
        self.graph = graph
    }

    /// The file's `accept_warnings` and `min_batchnorm_batch`, checked.
    private static func checkSettings(_ document: PipelineDocument) throws -> (accepted: [String], minBatch: Int) {
        var accepted = [String]()
        if let setting = document.acceptWarnings {
            let names = RecipeRule.allCases.map(\.rawValue)
            guard case let .sequence(items) = setting.value,
                  items.allSatisfy({ $0.scalar.map { names.contains($0.string) } == true }) else {
                throw PipelineError.invalidValue(setting.valueLocation, parameter: "accept_warnings", value: shown(setting.value),
                                                 expected: "a list of recipe-check warning names: " + names.joined(separator: ", "))
            }
            accepted = items.compactMap { $0.scalar?.string }
        }
        var minBatch = RecipeCheck.defaultMinBatchNormBatch
        if let setting = document.minBatchNormBatch {
            guard let value = setting.value.scalar.flatMap({ Int($0.string) }), (1...65_536).contains(value) else {
                throw PipelineError.invalidValue(setting.valueLocation, parameter: "min_batchnorm_batch", value: shown(setting.value),
                                                 expected: "an integer in 1...65536")
            }
            minBatch = value
        }
        return (accepted, minBatch)
    }

    /// A plan of stages that were planned once already (rebuilt from lineage to compute them again):
    /// run in their inputs' order, ties broken by the order given.
    init(reconstructing stages: [PlannedStage], name: String, runHash: String, seed: Int) {
        let graph = StageGraph(names: stages.map(\.name), edges: stages.flatMap { stage in
            stage.inputs.map { StageGraph.Edge(from: $0.stage, to: stage.name, port: $0.port) }
        })
        let byName = Dictionary(stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.name = name
        file = "lineage"
        (fileHash, self.runHash, self.seed) = (runHash, runHash, seed)
        var variants = [String](), seeds = [Int]()
        for stage in stages {
            if let variant = stage.variant, !variants.contains(variant) { variants.append(variant) }
            if let seed = stage.seed, !seeds.contains(seed) { seeds.append(seed) }
        }
        (self.variants, self.seeds) = (variants, seeds)
        self.stages = (graph.topologicalOrder() ?? stages.map(\.name)).map { byName[$0]! }
        self.graph = graph
        recipeWarnings = []
    }

    /// The stage called `name` (`finetune@frozen` for a variant's copy, `finetune@frozen#2` for a seed's).
    public func stage(_ name: String) throws -> PlannedStage {
        guard let stage = stages.first(where: { $0.name == name }) else {
            throw PipelineError.unknownStage(name, known: StageNaming.labels(stages.map(\.name)))
        }
        return stage
    }

    /// The stage called `name`, or every copy of a copied file stage (`finetune`: every variant's and
    /// seed's) or of one variant's copy (`finetune@frozen`: every backbone's and seed's;
    /// `finetune@frozen~7`: every seed's on backbone 7): what `--force` means.
    public func stages(named name: String) throws -> [PlannedStage] {
        let found = stages.filter {
            $0.name == name || $0.template == name || $0.group == name
                || StageNaming.name(template: $0.template, variant: $0.variant, seed: nil) == name
        }
        guard !found.isEmpty else { throw PipelineError.unknownStage(name, known: StageNaming.labels(stages.map(\.name))) }
        return found
    }
}

/// `errors` without repeats (a file-level mistake shows once, not once per variant copy), in the
/// order of their positions: overrides first, then by line and column.
private func inReadingOrder(_ errors: [PipelineError]) -> [PipelineError] {
    var unique = [PipelineError]()
    for error in errors where !unique.contains(error) { unique.append(error) }
    return unique.enumerated().sorted { a, b in
        let (x, y) = (a.element.position, b.element.position)
        return x == y ? a.offset < b.offset : x.lexicographicallyPrecedes(y)
    }.map(\.element)
}
