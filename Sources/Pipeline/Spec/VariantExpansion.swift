// Variants and seeds: the per-variant branch (freeze, fine-tune, evaluate and the non-report stages
// after them) is copied once per variant as `stage@variant`, and the per-seed branch (the `per_seed`
// stages and the non-report stages after them) once per seed as `stage#seed`, and with
// `pretrain_seeds` the backbone branch (the pretrain stages and the non-report stages after them) once
// per pretraining seed as `stage~seed`; every other stage is shared, and a report reading copied
// stages reads all of their copies.
import Reporting

/// One stage to plan: a file stage, or one variant's, backbone's and/or seed's copy of it.
struct StageCopy {
    let template: TemplateStage
    let variant: VariantEntry?
    /// The pretraining seed of the backbone the copy stands on, in the backbone branch.
    let backbone: Int?
    let seed: Int?

    var name: String {
        StageNaming.name(template: template.name, variant: variant?.name, backbone: backbone, seed: seed)
    }
}

/// How one document's stages expand into per-variant and per-seed copies.
struct VariantExpansion {
    let variants: [VariantEntry]
    /// Names of the file stages copied per variant.
    let branch: [String]
    /// Names of the file stages copied per seed (when the pipeline or a variant has seeds).
    let seedBranch: [String]
    /// Names of the file stages copied per pretraining seed (when the pipeline has `pretrain_seeds`).
    let backboneBranch: [String]
    let replication: Replication
    private let templates: [TemplateStage]
    /// Each stage to plan, in file order with each variant's branch kept together and a stage's seed
    /// copies side by side.
    let order: [StageCopy]

    init(templates: [TemplateStage], graph: StageGraph, variants: [VariantEntry], replication: Replication) {
        self.templates = templates
        self.variants = variants
        self.replication = replication
        // Reports gather the copies; they and what follows them are not copied.
        let reports = Set(templates.filter { $0.kind.traits.contains(.gathers) }.map(\.name))
        func closure(_ roots: [String]) -> [String] {
            var members = Set(roots), frontier = roots
            while let stage = frontier.popLast() {
                for edge in graph.edges where edge.from == stage && !reports.contains(edge.to) && !members.contains(edge.to) {
                    members.insert(edge.to)
                    frontier.append(edge.to)
                }
            }
            return templates.map(\.name).filter(members.contains)
        }
        let branch = closure(templates.filter { $0.kind.traits.contains(.perVariant) }.map(\.name))
        let seedBranch = replication.repeats ? closure(replication.roots) : []
        let backboneBranch = closure(replication.backboneRoots)
        let variantNames = variants.map(\.name)
        func copies(of template: TemplateStage, in variant: VariantEntry?) -> [StageCopy] {
            let backbones: [Int?] = backboneBranch.contains(template.name)
                ? (replication.pretrainSeeds ?? []).map(Optional.some) : [nil]
            return backbones.flatMap { backbone in
                guard seedBranch.contains(template.name),
                      let seeds = replication.seeds(of: variant?.name, variants: variantNames) else {
                    return [StageCopy(template: template, variant: variant, backbone: backbone, seed: nil)]
                }
                return seeds.map { StageCopy(template: template, variant: variant, backbone: backbone, seed: $0) }
            }
        }
        var planned = [StageCopy]()
        let branchTemplates = templates.filter { branch.contains($0.name) }
        for template in templates {
            if variants.isEmpty || !branch.contains(template.name) {
                planned += copies(of: template, in: nil)
            } else if template.name == branch.first {
                for variant in variants { planned += branchTemplates.flatMap { copies(of: $0, in: variant) } }
            }
        }
        (self.branch, self.seedBranch, self.backboneBranch, order) = (branch, seedBranch, backboneBranch, planned)
    }

    /// Variant keys that set nothing (a bare parameter no branch stage's kind has, or a `stage.param`
    /// whose stage is not in the branch), and shared stages repeated per seed while some variant has
    /// no seeds to repeat them over.
    func problems() -> [PipelineError] {
        let branchTemplates = templates.filter { branch.contains($0.name) }
        var branchParameters = [String]()
        for template in branchTemplates {
            for spec in template.kind.schema.parameters where !branchParameters.contains(spec.name) {
                branchParameters.append(spec.name)
            }
        }
        var errors = [PipelineError]()
        for variant in variants {
            for setting in variant.settings where !Replication.variantKeys.contains(setting.key) {
                if let (stage, _) = qualified(setting.key) {
                    if !branch.contains(stage) {
                        errors.append(.unknownVariantTarget(setting.keyLocation, variant: variant.name, key: setting.key, valid: branch))
                    }
                } else if !branchParameters.contains(setting.key) {
                    errors.append(.unknownVariantTarget(setting.keyLocation, variant: variant.name, key: setting.key,
                                                        valid: branchParameters + Replication.variantKeys))
                }
            }
        }
        let unseeded = variants.map(\.name).filter { replication.seeds(of: $0, variants: []) == nil }
        if !variants.isEmpty, !unseeded.isEmpty {
            for stage in seedBranch where !branch.contains(stage) && replication.roots.contains(stage) {
                errors.append(.invalidPerSeedStage(
                    replication.perSeedLocation ?? templates.first { $0.name == stage }!.entry.location, stage: stage,
                    reason: "which every variant shares, but variant \(unseeded.joined(separator: ", ")) has no seeds; "
                        + "give the pipeline seeds (seeds: or repeats:) so every variant runs them"))
            }
        }
        return errors
    }

    /// The settings `variant` adds to (or replaces in) `template`'s own, keyed by parameter name.
    func settings(of template: TemplateStage, in variant: VariantEntry?) -> [Setting] {
        guard let variant else { return [] }
        let schema = template.kind.schema
        return variant.settings.compactMap { setting in
            if let (stage, parameter) = qualified(setting.key) {
                guard stage == template.name else { return nil }
                return Setting(key: parameter, keyLocation: setting.keyLocation, value: setting.value,
                               valueLocation: setting.valueLocation)
            }
            return schema.parameter(setting.key) == nil ? nil : setting
        }
    }

    /// The seed `copy` sets as its `seed` parameter: its seed, when its file stage is a `per_seed` one;
    /// its pretraining seed, when it is a pretrain stage copied per pretraining seed.
    func seedParameter(of copy: StageCopy) -> Int? {
        if replication.roots.contains(copy.template.name) { return copy.seed }
        return replication.backboneRoots.contains(copy.template.name) ? copy.backbone : nil
    }

    /// `copy`'s inputs with copied stages renamed to the copies it reads: the same variant's, backbone's
    /// and seed's, or, for a stage gathering them (a report), every variant's, backbone's and seed's.
    func inputs(of copy: StageCopy) -> [StageInput] {
        let variantNames = variants.map(\.name)
        return copy.template.sources.flatMap { input -> [StageInput] in
            let readVariants: [VariantEntry?] = branch.contains(input.stage) && !variants.isEmpty
                ? copy.variant.map { [$0] } ?? variants : [nil]
            let backbones: [Int?] = backboneBranch.contains(input.stage)
                ? (copy.backbone.map { [$0] } ?? replication.pretrainSeeds ?? []).map(Optional.some) : [nil]
            return readVariants.flatMap { variant -> [StageInput] in
                let seeds: [Int?]
                if seedBranch.contains(input.stage), let all = replication.seeds(of: variant?.name, variants: variantNames) {
                    seeds = copy.seed.map { [$0] } ?? all
                } else {
                    seeds = [nil]
                }
                return backbones.flatMap { backbone in
                    seeds.map {
                        StageInput(port: input.port, stage: StageNaming.name(template: input.stage, variant: variant?.name,
                                                                             backbone: backbone, seed: $0))
                    }
                }
            }
        }
    }

    private func qualified(_ key: String) -> (stage: String, parameter: String)? {
        guard let dot = key.firstIndex(of: ".") else { return nil }
        return (String(key[..<dot]), String(key[key.index(after: dot)...]))
    }
}
