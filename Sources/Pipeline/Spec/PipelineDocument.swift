// A pipeline file read into plain structure with every value's position, before any checking of
// kinds, parameters or inputs; overrides edit this structure.
import Yams

/// A YAML value (scalar or list) and where it was written.
struct Setting {
    let key: String
    let keyLocation: SourceLocation
    var value: Node
    var valueLocation: SourceLocation
}

/// One `stages:` entry as written.
struct StageEntry {
    let name: String
    let location: SourceLocation
    let kind: (name: String, location: SourceLocation)?
    /// Port name → the stage names it reads (one, or several for a list).
    let inputs: [(port: String, location: SourceLocation, sources: [(name: String, location: SourceLocation)])]
    var parameters: [Setting]
}

/// One `variants:` entry as written.
struct VariantEntry {
    let name: String
    let location: SourceLocation
    var settings: [Setting]
}

/// The file's structure. Parsing collects every shape problem it can before throwing.
struct PipelineDocument {
    let path: String
    let name: String
    var seed: Setting?
    /// Repetition over seeds: `seeds` (a list) or `repeats` (a count), and `per_seed` (the stages whose
    /// seed each copy sets); see `Replication`.
    var seeds: Setting?
    var repeats: Setting?
    var perSeed: Setting?
    /// The seeds each pretrain stage is copied over, with everything after it (`Replication`).
    var pretrainSeeds: Setting?
    /// Recipe-check rules acknowledged as deliberate (`RecipeRule` names), and its BatchNorm batch threshold.
    var acceptWarnings: Setting?
    var minBatchNormBatch: Setting?
    var stages: [StageEntry]
    var variants: [VariantEntry]

    static let topFields = ["name", "seed", "seeds", "repeats", "per_seed", "pretrain_seeds", "accept_warnings", "min_batchnorm_batch",
                            "stages", "variants"]
    static let stageFields = ["kind", "inputs", "params"]

    init(yaml: String, path: String) throws {
        self.path = path
        let root: Node
        do {
            guard let node = try BoundedYAML.compose(yaml: yaml) else {
                throw PipelineError.missingField(.file(path: path, line: 1, column: 1), field: "stages", in: "the pipeline file")
            }
            root = node
        } catch let error as YamlError {
            throw Self.translate(error, path: path)
        } catch let error as YAMLExpansionError {
            throw PipelineError.yamlSyntax(.file(path: path, line: 1, column: 1), problem: error.problem)
        }
        var errors = [PipelineError]()
        let at = { (node: Node) in location(of: node, in: path) }
        guard case let .mapping(top) = root else {
            throw PipelineError.wrongShape(at(root), field: "pipeline", expected: "a mapping with name, seed, stages and variants (and optionally seeds or repeats, per_seed, pretrain_seeds)")
        }
        for (key, _) in top where !Self.topFields.contains(key.string ?? "") {
            errors.append(.unknownField(at(key), field: key.string ?? shown(key), valid: Self.topFields))
        }
        if let nameNode = top["name"], case let .scalar(s) = nameNode, !s.string.isEmpty {
            name = s.string
            // The name becomes a folder (reports/<name>/): a path in it would write elsewhere.
            if !isValidName(name) { errors.append(.invalidName(at(nameNode), name: name)) }
        } else {
            name = ""
            errors.append(top["name"] == nil ? .missingField(at(root), field: "name", in: "the pipeline")
                          : .wrongShape(at(top["name"]!), field: "name", expected: "a non-empty string"))
        }
        func setting(_ field: String) -> Setting? {
            top.first { $0.key.string == field }.map {
                Setting(key: field, keyLocation: at($0.key), value: $0.value, valueLocation: at($0.value))
            }
        }
        seed = setting("seed")
        seeds = setting("seeds")
        repeats = setting("repeats")
        perSeed = setting("per_seed")
        pretrainSeeds = setting("pretrain_seeds")
        acceptWarnings = setting("accept_warnings")
        minBatchNormBatch = setting("min_batchnorm_batch")
        stages = []
        variants = []
        if let stagesNode = top["stages"] {
            if case let .mapping(entries) = stagesNode, !entries.isEmpty {
                stages = entries.compactMap { Self.stage($0.key, $0.value, path: path, errors: &errors) }
            } else {
                errors.append(.wrongShape(at(stagesNode), field: "stages", expected: "a non-empty mapping of stage name to { kind, inputs, params }"))
            }
        } else {
            errors.append(.missingField(at(root), field: "stages", in: "the pipeline"))
        }
        if let variantsNode = top["variants"] {
            if case let .mapping(entries) = variantsNode {
                variants = entries.compactMap { key, value in
                    guard case let .mapping(settings) = value else {
                        errors.append(.wrongShape(at(value), field: "variants.\(key.string ?? "")", expected: "a mapping of parameter to value"))
                        return nil
                    }
                    return VariantEntry(name: key.string ?? shown(key), location: at(key),
                                        settings: settings.map { Setting(key: $0.key.string ?? shown($0.key), keyLocation: at($0.key),
                                                                         value: $0.value, valueLocation: at($0.value)) })
                }
            } else if variantsNode.null == nil {
                errors.append(.wrongShape(at(variantsNode), field: "variants", expected: "a mapping of variant name to parameters"))
            }
        }
        if !errors.isEmpty { throw PipelineError.many(errors) }
    }

    private static func stage(_ key: Node, _ value: Node, path: String, errors: inout [PipelineError]) -> StageEntry? {
        let at = { (node: Node) in location(of: node, in: path) }
        let name = key.string ?? shown(key)
        guard case let .mapping(fields) = value else {
            errors.append(.wrongShape(at(value), field: name, expected: "a mapping with kind, inputs and params"))
            return nil
        }
        for (field, _) in fields where !stageFields.contains(field.string ?? "") {
            errors.append(.unknownField(at(field), field: field.string ?? shown(field), valid: stageFields))
        }
        var kind: (String, SourceLocation)?
        if let kindNode = fields["kind"], case let .scalar(s) = kindNode {
            kind = (s.string, at(kindNode))
        } else {
            errors.append(fields["kind"] == nil ? .missingField(at(key), field: "kind", in: "stage '\(name)'")
                          : .wrongShape(at(fields["kind"]!), field: "kind", expected: "a stage kind name"))
        }
        var inputs: [(String, SourceLocation, [(String, SourceLocation)])] = []
        if let inputsNode = fields["inputs"] {
            if case let .mapping(ports) = inputsNode {
                for (port, source) in ports {
                    let sources: [Node]
                    switch source {
                    case .scalar: sources = [source]
                    case .sequence(let list) where list.allSatisfy({ $0.scalar != nil }): sources = Array(list)
                    default:
                        errors.append(.wrongShape(at(source), field: "\(name).inputs.\(port.string ?? "")", expected: "a stage name or a list of stage names"))
                        continue
                    }
                    inputs.append((port.string ?? shown(port), at(port), sources.map { ($0.string ?? "", at($0)) }))
                }
            } else {
                errors.append(.wrongShape(at(inputsNode), field: "\(name).inputs", expected: "a mapping of input name to stage name"))
            }
        }
        var parameters = [Setting]()
        if let paramsNode = fields["params"] {
            if case let .mapping(entries) = paramsNode {
                parameters = entries.map { Setting(key: $0.key.string ?? shown($0.key), keyLocation: at($0.key),
                                                   value: $0.value, valueLocation: at($0.value)) }
            } else {
                errors.append(.wrongShape(at(paramsNode), field: "\(name).params", expected: "a mapping of parameter name to value"))
            }
        }
        return StageEntry(name: name, location: at(key), kind: kind,
                          inputs: inputs.map { (port: $0.0, location: $0.1, sources: $0.2.map { (name: $0.0, location: $0.1) }) },
                          parameters: parameters)
    }

    /// A Yams error as a located pipeline error.
    private static func translate(_ error: YamlError, path: String) -> PipelineError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return .yamlSyntax(.file(path: path, line: mark.line, column: mark.column), problem: problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            return .duplicateKey(.file(path: path, line: context.mark.line, column: context.mark.column),
                                 key: duplicates.joined(separator: "', '"))
        default:
            return .yamlSyntax(.file(path: path, line: 1, column: 1), problem: "\(error)")
        }
    }
}

/// Where `node` starts in the file at `path`.
func location(of node: Node, in path: String) -> SourceLocation {
    let mark = node.mark
    return .file(path: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
}
