// Everything that can be wrong with a pipeline file or an override, each with where it is and what
// would be valid.
import Store

/// Where a value came from: a position in a pipeline file, or a `-S` override on the command line.
public enum SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// 1-based line and column, as an editor shows them.
    case file(path: String, line: Int, column: Int)
    /// The override text exactly as given, e.g. `finetune.lr=3e-4`.
    case override(String)
    /// A command-line option setting a parameter, e.g. `depth` for `--depth`.
    case option(String)

    public var description: String {
        switch self {
        case let .file(path, line, column): return "\(path):\(line):\(column)"
        case let .override(text): return "-S \(printable(text, limit: 120))"
        case let .option(name): return "--\(name.replacingOccurrences(of: "_", with: "-"))"
        }
    }
}

/// A problem found while reading, overriding, expanding or checking a pipeline. `description` is
/// one line per problem in the `file:line:column: message` form compilers use.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case yamlSyntax(SourceLocation, problem: String)
    case duplicateKey(SourceLocation, key: String)
    case wrongShape(SourceLocation, field: String, expected: String)
    case missingField(SourceLocation, field: String, in: String)
    case unknownField(SourceLocation, field: String, valid: [String])
    case invalidName(SourceLocation, name: String)
    case unknownKind(SourceLocation, kind: String)
    case unknownParameter(SourceLocation, stage: String, kind: StageKind, parameter: String)
    case invalidValue(SourceLocation, parameter: String, value: String, expected: String)
    case missingParameter(SourceLocation, stage: String, parameter: String, because: String)
    case unknownPort(SourceLocation, stage: String, kind: StageKind, port: String)
    case missingInput(SourceLocation, stage: String, port: String, expected: [StageKind])
    case unknownInputStage(SourceLocation, stage: String, port: String, source: String, known: [String])
    case wrongInputKind(SourceLocation, port: String, source: String, kind: StageKind, expected: [StageKind])
    case tooManyInputs(SourceLocation, stage: String, port: String)
    case cycle(SourceLocation, stages: [String])
    case unknownVariantTarget(SourceLocation, variant: String, key: String, valid: [String])
    /// Two fields that say the same thing in two ways (`seeds` and `repeats`).
    case conflictingFields(SourceLocation, fields: [String], in: String)
    /// `per_seed` names a stage that cannot take a seed per copy.
    case invalidPerSeedStage(SourceLocation, stage: String, reason: String)
    /// A stage repeated over seeds also sets its own seed.
    case seedSetTwice(SourceLocation, stage: String)
    /// `pretrain_seeds` given where it cannot vary a backbone.
    case invalidPretrainSeeds(SourceLocation, reason: String)
    case malformedOverride(String, reason: String)
    case unknownOverrideTarget(SourceLocation, target: String, valid: [String])
    case unknownStage(String, known: [String])
    /// Several independent problems, reported together so one run shows them all.
    case many([PipelineError])

    /// One line per problem: whatever a file or override put into a message (names, values) has its
    /// control characters escaped, so a newline in a name cannot split its error into two lines.
    public var description: String {
        if case let .many(errors) = self { return errors.map(\.description).joined(separator: "\n") }
        return printable(message, limit: 4000)
    }

    private var message: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the pipeline file: \(reason)"
        case let .yamlSyntax(at, problem):
            return "\(at): not valid YAML: \(problem)"
        case let .duplicateKey(at, key):
            return "\(at): '\(key)' appears more than once in this mapping; names must be unique"
        case let .wrongShape(at, field, expected):
            return "\(at): '\(field)' must be \(expected)"
        case let .missingField(at, field, container):
            return "\(at): \(container) has no '\(field)'; add it"
        case let .unknownField(at, field, valid):
            return "\(at): unknown field '\(field)'\(suggestion(field, valid)); valid fields: \(valid.joined(separator: ", "))"
        case let .invalidName(at, name):
            return "\(at): '\(name)' is not a valid name; use letters, digits, '_' and '-', starting with a letter"
        case let .unknownKind(at, kind):
            let kinds = StageKind.allCases.map(\.rawValue)
            return "\(at): unknown stage kind '\(kind)'\(suggestion(kind, kinds)); kinds: \(kinds.joined(separator: ", "))"
        case let .unknownParameter(at, stage, kind, parameter):
            let names = kind.schema.parameters.map(\.name)
            return "\(at): stage '\(stage)' (\(kind.rawValue)) has no parameter '\(parameter)'\(suggestion(parameter, names)); \(kind.rawValue) parameters: \(names.joined(separator: ", "))"
        case let .invalidValue(at, parameter, value, expected):
            return "\(at): '\(parameter)' is \(value), expected \(expected)"
        case let .missingParameter(at, stage, parameter, because):
            return "\(at): stage '\(stage)' needs parameter '\(parameter)' \(because)"
        case let .unknownPort(at, stage, kind, port):
            let ports = kind.schema.ports.map(\.name)
            let valid = ports.isEmpty ? "a \(kind.rawValue) stage takes no inputs" : "\(kind.rawValue) inputs: \(ports.joined(separator: ", "))"
            return "\(at): stage '\(stage)' has no input '\(port)'\(suggestion(port, ports)); \(valid)"
        case let .missingInput(at, stage, port, expected):
            return "\(at): stage '\(stage)' needs input '\(port)' from a \(kindList(expected)) stage"
        case let .unknownInputStage(at, stage, port, source, known):
            return "\(at): input '\(port)' of stage '\(stage)' names stage '\(source)', which does not exist\(suggestion(source, known)); stages: \(known.joined(separator: ", "))"
        case let .wrongInputKind(at, port, source, kind, expected):
            return "\(at): input '\(port)' takes a \(kindList(expected)) stage, but '\(source)' is \(kind.rawValue)"
        case let .tooManyInputs(at, stage, port):
            return "\(at): input '\(port)' of stage '\(stage)' takes one stage, not a list"
        case let .cycle(at, stages):
            return "\(at): the stages form a cycle: \((stages + stages.prefix(1)).joined(separator: " → ")); remove one of these inputs"
        case let .unknownVariantTarget(at, variant, key, valid):
            return "\(at): variant '\(variant)' sets '\(key)', which matches nothing in the per-variant branch\(suggestion(key, valid)); valid: \(valid.joined(separator: ", "))"
        case let .conflictingFields(at, fields, container):
            return "\(at): \(container) gives both \(fields.joined(separator: " and ")); give one of them"
        case let .invalidPerSeedStage(at, stage, reason):
            return "\(at): per_seed names '\(stage)', \(reason)"
        case let .seedSetTwice(at, stage):
            return "\(at): stage '\(stage)' sets seed, but the pipeline repeats it over seeds (seeds: or repeats:), "
                + "which set each copy's seed; remove this seed or the stage from per_seed"
        case let .invalidPretrainSeeds(at, reason):
            return "\(at): pretrain_seeds \(reason)"
        case let .malformedOverride(text, reason):
            return "-S \(printable(text, limit: 120)): \(reason); write STAGE.PARAM=VALUE, variants.VARIANT.PARAM=VALUE, seed=N, seeds=[N, …], repeats=N, per_seed=[STAGE, …] or pretrain_seeds=[N, …]"
        case let .unknownOverrideTarget(at, target, valid):
            return "\(at): no stage or variant '\(target)'\(suggestion(target, valid)); valid: \(valid.joined(separator: ", "))"
        case let .unknownStage(name, known):
            return "no stage '\(name)'\(suggestion(name, known)); stages: \(known.joined(separator: ", "))"
        case .many:
            preconditionFailure("description joins the lines of .many")
        }
    }

    /// Where the problem is, as a sort key: [0] for overrides and errors without a place, else
    /// [1, line, column].
    var position: [Int] {
        switch location {
        case let .file(_, line, column)?: return [1, line, column]
        default: return [0]
        }
    }

    /// Where the problem is, when it has a place.
    public var location: SourceLocation? {
        switch self {
        case .unreadable, .malformedOverride, .unknownStage, .many: return nil
        case let .yamlSyntax(at, _), let .duplicateKey(at, _), let .wrongShape(at, _, _), let .missingField(at, _, _),
             let .unknownField(at, _, _), let .invalidName(at, _), let .unknownKind(at, _),
             let .unknownParameter(at, _, _, _), let .invalidValue(at, _, _, _), let .missingParameter(at, _, _, _),
             let .unknownPort(at, _, _, _), let .missingInput(at, _, _, _), let .unknownInputStage(at, _, _, _, _),
             let .wrongInputKind(at, _, _, _, _), let .tooManyInputs(at, _, _), let .cycle(at, _),
             let .unknownVariantTarget(at, _, _, _), let .unknownOverrideTarget(at, _, _),
             let .conflictingFields(at, _, _), let .invalidPerSeedStage(at, _, _), let .seedSetTwice(at, _),
             let .invalidPretrainSeeds(at, _):
            return at
        }
    }

    /// The individual problems, flattening `.many`.
    public var all: [PipelineError] {
        if case let .many(errors) = self { return errors.flatMap(\.all) }
        return [self]
    }
}

private func kindList(_ kinds: [StageKind]) -> String {
    kinds.map(\.rawValue).joined(separator: " or ")
}

/// `" (did you mean 'x'?)"` when a candidate is close enough to be a likely typo, else "".
private func suggestion(_ word: String, _ candidates: [String]) -> String {
    guard let near = nearestName(to: word, in: candidates) else { return "" }
    return " (did you mean '\(near)'?)"
}
