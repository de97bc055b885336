// Repeated seeds: which seeds the pipeline and each variant run over, and which stages each seed's
// copy re-seeds. VariantExpansion makes the copies.
import Yams

/// How a pipeline repeats its training over seeds.
///
/// ```yaml
/// seeds: [1, 2, 3]        # or `repeats: 3`: the pipeline's seed and the next two (seed, seed+1, seed+2)
/// per_seed: [finetune]    # the stages whose seed each copy sets (default: every fine-tune stage)
/// variants:
///   frozen: { head: study-frozen, repeats: 10 }   # a variant's own seeds replace the pipeline's
/// ```
/// Each `per_seed` stage and every stage after it (up to the report, which gathers them all) is
/// copied once per seed, `finetune@frozen#2` being seed 2's copy in variant frozen; the copy's `seed`
/// parameter is the seed, so it is in the key and a seed added later computes only its own copies.
///
/// ```yaml
/// pretrain_seeds: [7, 11]  # each pretrain stage once per pretraining seed: two backbones
/// ```
/// Each pretrain stage and every stage after it (up to the report) is copied once per pretraining
/// seed, `pretrain~11` and `finetune@frozen~11#2`, the pretrain copy's `seed` parameter being its
/// pretraining seed: fine-tuning seeds are nested in backbones, and a pretraining seed equal to the
/// one the pretrain stage had (the pipeline's seed) keeps that backbone's keys, so it is not recomputed.
struct Replication {
    /// The pipeline's seeds; nil when it declares none.
    let pipelineSeeds: [Int]?
    /// Variants with seeds of their own.
    let variantSeeds: [String: [Int]]
    /// File stages whose `seed` parameter each copy sets, in file order.
    let roots: [String]
    /// Where `per_seed` was written, for errors about the stages it names; nil when left at its default.
    let perSeedLocation: SourceLocation?
    /// The pipeline's pretraining seeds; nil when it declares none (each pretrain stage runs once).
    let pretrainSeeds: [Int]?
    /// File stages copied once per pretraining seed, each copy's `seed` set to it: the pretrain stages,
    /// when there are pretraining seeds.
    let backboneRoots: [String]
    /// Where `pretrain_seeds` was written, for errors about the stages it copies.
    let pretrainSeedsLocation: SourceLocation?

    /// Variant keys that set the variant's seeds rather than a stage parameter.
    static let variantKeys = ["seeds", "repeats"]
    static let maximumRepeats = 1000
    private static let seedRange = 0...Int(Int32.max)

    /// The other way of giving seeds: setting one of `seeds` and `repeats` drops the other.
    static func alternative(to key: String) -> String? {
        key == "seeds" ? "repeats" : key == "repeats" ? "seeds" : nil
    }

    init(_ document: PipelineDocument, seed: Int, templates: [TemplateStage], errors: inout [PipelineError]) {
        pipelineSeeds = Self.seedList(seeds: document.seeds, repeats: document.repeats, base: seed,
                                      container: "the pipeline", errors: &errors)
        let pretrainSeeds = document.pretrainSeeds.flatMap {
            Self.seedList(seeds: $0, repeats: nil, base: seed, container: "the pipeline", errors: &errors)
        }
        let backboneRoots = pretrainSeeds == nil ? [] : templates.filter { $0.kind.traits.contains(.perPretrainSeed) }.map(\.name)
        (self.pretrainSeeds, self.backboneRoots) = (pretrainSeeds, backboneRoots)
        pretrainSeedsLocation = document.pretrainSeeds?.keyLocation
        if let setting = document.pretrainSeeds, pretrainSeeds != nil, backboneRoots.isEmpty {
            let kinds = StageKind.allCases.filter { $0.traits.contains(.perPretrainSeed) }.map(\.rawValue)
            errors.append(.invalidPretrainSeeds(setting.keyLocation, reason: "needs a stage of kind \(kinds.joined(separator: ", ")) "
                                                + "to copy, and this pipeline has none; remove pretrain_seeds"))
        }
        var variantSeeds = [String: [Int]]()
        for variant in document.variants {
            let setting = { (key: String) in variant.settings.first { $0.key == key } }
            if let seeds = Self.seedList(seeds: setting("seeds"), repeats: setting("repeats"), base: seed,
                                         container: "variant '\(variant.name)'", errors: &errors) {
                variantSeeds[variant.name] = seeds
            }
        }
        self.variantSeeds = variantSeeds
        perSeedLocation = document.perSeed?.keyLocation
        guard let perSeed = document.perSeed else {
            roots = templates.filter { $0.kind.traits.contains(.perSeed) }.map(\.name)
            return
        }
        roots = Self.stageNames(perSeed, templates: templates, errors: &errors)
        if pipelineSeeds == nil && variantSeeds.isEmpty {
            errors.append(.missingField(perSeed.keyLocation, field: "seeds", in: "a pipeline with per_seed"))
        }
        for stage in roots where backboneRoots.contains(stage) {
            errors.append(.invalidPerSeedStage(perSeed.valueLocation, stage: stage, reason: "whose seed pretrain_seeds already sets "
                                               + "(one backbone per pretraining seed); remove '\(stage)' from per_seed or remove pretrain_seeds"))
        }
    }

    /// Whether any stage is repeated.
    var repeats: Bool { pipelineSeeds != nil || !variantSeeds.isEmpty }

    /// The seeds a variant's copies run over (its own, else the pipeline's), or nil when it is not
    /// repeated. For stages no variant owns (`variant` nil): every variant's seeds, in order of first
    /// appearance.
    func seeds(of variant: String?, variants: [String]) -> [Int]? {
        if let variant { return variantSeeds[variant] ?? pipelineSeeds }
        var all = pipelineSeeds ?? []
        for name in variants {
            for seed in variantSeeds[name] ?? [] where !all.contains(seed) { all.append(seed) }
        }
        return all.isEmpty ? nil : all
    }

    /// `seeds: [..]` (or `pretrain_seeds: [..]`, errors naming the setting's key) or `repeats: N` typed and checked; nil when neither is given or one is invalid.
    private static func seedList(seeds: Setting?, repeats: Setting?, base: Int, container: String,
                                 errors: inout [PipelineError]) -> [Int]? {
        if seeds != nil, let repeats {
            errors.append(.conflictingFields(repeats.keyLocation, fields: ["seeds", "repeats"], in: container))
            return nil
        }
        do {
            if let seeds {
                let expected = "a non-empty list of distinct seeds in \(seedRange.lowerBound)...\(seedRange.upperBound), like [1, 2, 3]"
                let spec = ParameterSpec(seeds.key, .ints(seedRange), .required, "")
                guard case let .ints(list) = try spec.value(of: seeds.value, at: seeds.valueLocation),
                      !list.isEmpty, Set(list).count == list.count else {
                    throw PipelineError.invalidValue(seeds.valueLocation, parameter: seeds.key, value: shown(seeds.value),
                                                     expected: expected)
                }
                return list
            }
            if let repeats {
                let most = min(maximumRepeats, seedRange.upperBound - base + 1)
                let spec = ParameterSpec("repeats", .int(1...most), .required, "")
                guard case let .int(count) = try spec.value(of: repeats.value, at: repeats.valueLocation) else { return nil }
                return Array(base..<(base + count))
            }
        } catch let error as PipelineError {
            errors.append(error)
        } catch {
            preconditionFailure("parameter typing throws only PipelineError")
        }
        return nil
    }

    /// The stages `per_seed` names, each one of the file's with a `seed` parameter.
    private static func stageNames(_ setting: Setting, templates: [TemplateStage],
                                   errors: inout [PipelineError]) -> [String] {
        guard case let .sequence(items) = setting.value, !items.isEmpty, items.allSatisfy({ $0.scalar != nil }) else {
            errors.append(.wrongShape(setting.valueLocation, field: "per_seed", expected: "a non-empty list of stage names"))
            return []
        }
        let names = templates.map(\.name)
        var roots = [String]()
        for item in items {
            let name = item.string ?? shown(item)
            let at = itemLocation(item, in: setting.valueLocation)
            guard let template = templates.first(where: { $0.name == name }) else {
                let near = nearestName(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
                errors.append(.invalidPerSeedStage(at, stage: name, reason: "which does not exist\(near); stages: "
                                                   + names.joined(separator: ", ")))
                continue
            }
            guard template.kind.schema.parameter("seed") != nil else {
                let seeded = StageKind.allCases.filter { $0.schema.parameter("seed") != nil }.map(\.rawValue)
                errors.append(.invalidPerSeedStage(at, stage: name, reason: "whose kind, \(template.kind.rawValue), has no "
                                                   + "seed parameter; name stages of kind \(seeded.joined(separator: ", "))"))
                continue
            }
            if !roots.contains(name) { roots.append(name) }
        }
        return names.filter(roots.contains)
    }
}

/// Where a list item is: its own position in a file, or the override the list came from.
private func itemLocation(_ node: Node, in list: SourceLocation) -> SourceLocation {
    guard case let .file(path, _, _) = list else { return list }
    return location(of: node, in: path)
}
