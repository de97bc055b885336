// Variants: the per-variant branch (freeze, fine-tune, evaluate and the non-report stages after
// them) is copied once per variant as `stage@variant`; every other stage is shared, and a report
// reading a branch stage reads all of its copies.

/// How one document's stages expand into per-variant copies.
struct VariantExpansion {
    let variants: [VariantEntry]
    /// Names of the file stages copied per variant.
    let branch: [String]
    private let templates: [TemplateStage]
    /// Each stage to plan: a shared stage (variant nil) or one variant's copy, in file order with
    /// each variant's branch kept together.
    let order: [(template: TemplateStage, variant: VariantEntry?)]

    static let branchKinds: Set<StageKind> = [.freeze, .finetune, .evaluate]

    init(templates: [TemplateStage], graph: StageGraph, variants: [VariantEntry]) {
        self.templates = templates
        self.variants = variants
        let roots = templates.filter { Self.branchKinds.contains($0.kind) }.map(\.name)
        // Reports gather the variants; they and what follows them are not copied.
        let reports = Set(templates.filter { $0.kind == .report }.map(\.name))
        var members = Set(roots), frontier = roots
        while let stage = frontier.popLast() {
            for edge in graph.edges where edge.from == stage && !reports.contains(edge.to) && !members.contains(edge.to) {
                members.insert(edge.to)
                frontier.append(edge.to)
            }
        }
        branch = templates.map(\.name).filter(members.contains)
        guard !variants.isEmpty else {
            order = templates.map { ($0, nil) }
            return
        }
        let branchTemplates = templates.filter { members.contains($0.name) }
        var order = [(template: TemplateStage, variant: VariantEntry?)]()
        for template in templates {
            if !members.contains(template.name) {
                order.append((template, nil))
            } else if template.name == branch.first {
                for variant in variants { order += branchTemplates.map { ($0, variant) } }
            }
        }
        self.order = order
    }

    /// Variant keys that set nothing: a bare parameter no branch stage's kind has, or a
    /// `stage.param` whose stage is not in the branch.
    func problems() -> [PipelineError] {
        let branchTemplates = templates.filter { branch.contains($0.name) }
        var branchParameters = [String]()
        for template in branchTemplates {
            for spec in StageSchema.of(template.kind).parameters where !branchParameters.contains(spec.name) {
                branchParameters.append(spec.name)
            }
        }
        var errors = [PipelineError]()
        for variant in variants {
            for setting in variant.settings {
                if let (stage, _) = qualified(setting.key) {
                    if !branch.contains(stage) {
                        errors.append(.unknownVariantTarget(setting.keyLocation, variant: variant.name, key: setting.key, valid: branch))
                    }
                } else if !branchParameters.contains(setting.key) {
                    errors.append(.unknownVariantTarget(setting.keyLocation, variant: variant.name, key: setting.key,
                                                        valid: branchParameters))
                }
            }
        }
        return errors
    }

    /// The settings `variant` adds to (or replaces in) `template`'s own, keyed by parameter name.
    func settings(of template: TemplateStage, in variant: VariantEntry?) -> [Setting] {
        guard let variant else { return [] }
        let schema = StageSchema.of(template.kind)
        return variant.settings.compactMap { setting in
            if let (stage, parameter) = qualified(setting.key) {
                guard stage == template.name else { return nil }
                return Setting(key: parameter, keyLocation: setting.keyLocation, value: setting.value,
                               valueLocation: setting.valueLocation)
            }
            return schema.parameter(setting.key) == nil ? nil : setting
        }
    }

    func name(_ stage: String, _ variant: VariantEntry?) -> String {
        variant.map { "\(stage)@\($0.name)" } ?? stage
    }

    /// `template`'s inputs with branch stages renamed to the variant's copies (or, for a shared
    /// stage reading the branch, to every variant's copy).
    func inputs(of template: TemplateStage, in variant: VariantEntry?) -> [StageInput] {
        template.sources.flatMap { input -> [StageInput] in
            guard branch.contains(input.stage), !variants.isEmpty else { return [input] }
            let copies = variant.map { [$0] } ?? variants
            return copies.map { StageInput(port: input.port, stage: name(input.stage, $0)) }
        }
    }

    private func qualified(_ key: String) -> (stage: String, parameter: String)? {
        guard let dot = key.firstIndex(of: ".") else { return nil }
        return (String(key[..<dot]), String(key[key.index(after: dot)...]))
    }
}
