// Checks a document's stages against the schemas (kinds, inputs, cycles) and resolves their
// parameters; collects every problem it can before throwing.

/// A file stage whose kind is known; its inputs are checked (and their problems collected) apart.
struct TemplateStage {
    let entry: StageEntry
    let kind: StageKind
    var name: String { entry.name }
    var sources: [StageInput] {
        entry.inputs.flatMap { input in input.sources.map { StageInput(port: input.port, stage: $0.name) } }
    }
}

/// The checked, expanded stages of a document, in expansion order (not yet topological).
struct ResolvedPipeline {
    let seed: Int
    let stages: [PlannedStage]

    static let seedSpec = ParameterSpec("seed", .int(0...Int(Int32.max)), .value(.int(0)), "the pipeline's seed")

    init(_ document: PipelineDocument) throws {
        var errors = [PipelineError]()
        var seed = 0
        if let setting = document.seed {
            do {
                if case let .int(v) = try Self.seedSpec.value(of: setting.value, at: setting.valueLocation) { seed = v }
            } catch let error as PipelineError { errors.append(error) }
        }
        self.seed = seed
        for stage in document.stages where !isValidName(stage.name) {
            errors.append(.invalidName(stage.location, name: stage.name))
        }
        for variant in document.variants where !isValidName(variant.name) {
            errors.append(.invalidName(variant.location, name: variant.name))
        }
        let templates = Self.templates(document.stages, errors: &errors)
        let graph = StageGraph(names: templates.map(\.name), edges: templates.flatMap { t in
            t.sources.map { StageGraph.Edge(from: $0.stage, to: t.name, port: $0.port) }
        })
        if let cycle = graph.cycle() {
            let first = templates.first { $0.name == cycle[0] }!
            errors.append(.cycle(first.entry.location, stages: cycle))
            throw PipelineError.many(errors)
        }
        let replication = Replication(document, seed: seed, templates: templates, errors: &errors)
        let expansion = VariantExpansion(templates: templates, graph: graph, variants: document.variants,
                                         replication: replication)
        errors += expansion.problems()
        var stages = [PlannedStage]()
        for copy in expansion.order {
            let template = copy.template
            let settings = template.entry.parameters + expansion.settings(of: template, in: copy.variant)
            var values = resolveParameters(of: template, settings: settings, seed: seed, errors: &errors)
            if let copySeed = expansion.seedParameter(of: copy) {
                if let own = settings.first(where: { $0.key == "seed" }) {
                    errors.append(copy.backbone == nil ? .seedSetTwice(own.keyLocation, stage: template.name)
                        : .invalidPretrainSeeds(own.keyLocation, reason: "set the seed of each copy of stage '\(template.name)', "
                            + "which sets seed too; remove this seed (list it in pretrain_seeds to keep its backbone)"))
                }
                values["seed"] = .int(copySeed)
                if copy.backbone != nil, values["weights"] != nil, let at = replication.pretrainSeedsLocation {
                    errors.append(.invalidPretrainSeeds(at, reason: "cannot vary stage '\(template.name)', which imports its "
                                                        + "weights (weights:) instead of training them; remove pretrain_seeds or weights"))
                }
            }
            stages.append(PlannedStage(
                name: copy.name, template: template.name, variant: copy.variant?.name, seed: copy.seed, backbone: copy.backbone,
                kind: template.kind, parameters: StageParameters(kind: template.kind, values: values),
                inputs: expansion.inputs(of: copy), location: template.entry.location))
        }
        if !errors.isEmpty { throw PipelineError.many(errors) }
        self.stages = stages
    }

    /// The stages with a known kind, and errors for unknown kinds, ports and input stages.
    private static func templates(_ entries: [StageEntry], errors: inout [PipelineError]) -> [TemplateStage] {
        var kinds = [String: StageKind]()
        var templates = [TemplateStage]()
        for entry in entries {
            guard let (kindName, at) = entry.kind else { continue }
            guard let kind = StageKind(rawValue: kindName) else {
                errors.append(.unknownKind(at, kind: kindName))
                continue
            }
            kinds[entry.name] = kind
            templates.append(TemplateStage(entry: entry, kind: kind))
        }
        let names = entries.map(\.name)
        for template in templates {
            let schema = template.kind.schema
            for input in template.entry.inputs {
                guard let port = schema.port(input.port) else {
                    errors.append(.unknownPort(input.location, stage: template.name, kind: template.kind, port: input.port))
                    continue
                }
                if input.sources.count != 1 && !port.many {
                    errors.append(.tooManyInputs(input.location, stage: template.name, port: input.port))
                }
                for source in input.sources {
                    if !names.contains(source.name) {
                        errors.append(.unknownInputStage(source.location, stage: template.name, port: input.port,
                                                         source: source.name, known: names))
                    } else if let kind = kinds[source.name], !port.accepts.contains(kind) {
                        errors.append(.wrongInputKind(source.location, port: input.port, source: source.name,
                                                      kind: kind, expected: port.accepts))
                    }
                }
            }
        }
        return templates
    }
}

/// Types every setting against the stage's schema, fills in defaults, and checks requirements
/// between parameters and the inputs that must be wired.
func resolveParameters(of template: TemplateStage, settings: [Setting], seed: Int,
                       errors: inout [PipelineError]) -> [String: ParameterValue] {
    let schema = template.kind.schema
    var values = [String: ParameterValue]()
    for setting in settings {
        guard let spec = schema.parameter(setting.key) else {
            errors.append(.unknownParameter(setting.keyLocation, stage: template.name, kind: template.kind, parameter: setting.key))
            continue
        }
        do {
            values[spec.name] = try spec.value(of: setting.value, at: setting.valueLocation)
        } catch let error as PipelineError {
            errors.append(error)
        } catch {
            preconditionFailure("parameter typing throws only PipelineError")
        }
    }
    // A parameter given with a bad value is reported as that, not again as missing.
    let given = Set(settings.map(\.key))
    for spec in schema.parameters where spec.defaultValue == .required && values[spec.name] == nil && !given.contains(spec.name) {
        errors.append(.missingParameter(template.entry.location, stage: template.name, parameter: spec.name,
                                        because: "(it has no default)"))
    }
    values = schema.resolved(values, seed: seed)
    for requirement in schema.requirements where values[requirement.parameter] == requirement.value {
        for needed in requirement.needs where values[needed] == nil && !given.contains(needed) {
            errors.append(.missingParameter(template.entry.location, stage: template.name, parameter: needed,
                                            because: "when \(requirement.parameter) is \(requirement.value)"))
        }
    }
    let wired = Set(template.entry.inputs.map(\.port))
    for port in schema.ports where !wired.contains(port.name) {
        if let (parameter, value) = port.requiredUnless {
            if let value, values[parameter] == value { continue }
            if value == nil, values[parameter] != nil { continue }
        }
        errors.append(.missingInput(template.entry.location, stage: template.name, port: port.name, expected: port.accepts))
    }
    return values
}

/// Pipeline, stage and variant names: a letter, then letters, digits, `_` or `-` (`@` and `#` join a
/// stage's name to its variant's and its seed in the names of copies). They become file and folder
/// names, so they never hold a separator or `..`.
func isValidName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
    return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
}
