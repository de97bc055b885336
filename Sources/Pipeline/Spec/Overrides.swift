// Command-line overrides, DVC-style: `-S finetune.lr=3e-4`, `-S variants.frozen.epochs=30`,
// `-S seed=3`, `-S seeds=[1,2,3]`, `-S pretrain_seeds=[1,2]`. They edit the document before checking, so an overridden value is checked exactly
// like one written in the file, and errors point at the override.
import Yams

extension PipelineDocument {
    /// Applies each `TARGET=VALUE` in order (a later one wins); VALUE is read as a YAML scalar or
    /// flow list. Stage parameters are checked later against the schema; malformed overrides and
    /// unknown stages or variants are returned, so they can be reported with the file's problems.
    mutating func apply(overrides: [String]) -> [PipelineError] {
        var errors = [PipelineError]()
        for text in overrides {
            do {
                try apply(text)
            } catch let error as PipelineError {
                errors.append(error)
            } catch {
                preconditionFailure("overrides throw only PipelineError")
            }
        }
        return errors
    }

    private mutating func apply(_ text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw PipelineError.malformedOverride(text, reason: "no '='")
        }
        let target = String(text[..<equals])
        let valueText = String(text[text.index(after: equals)...])
        let value: Node
        do {
            guard let node = try BoundedYAML.compose(yaml: valueText), node.mapping == nil else {
                throw PipelineError.malformedOverride(text, reason: "the value must be a scalar or a list like [1, 2]")
            }
            value = node
        } catch let error as YAMLExpansionError {
            throw PipelineError.malformedOverride(text, reason: error.problem)
        } catch is YamlError {
            throw PipelineError.malformedOverride(text, reason: "the value is not a YAML scalar or flow list")
        }
        let here = SourceLocation.override(text)
        let parts = target.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let setting = Setting(key: parts.last ?? "", keyLocation: here, value: value, valueLocation: here)
        switch parts.count {
        case 1 where parts[0] == "seed":
            seed = setting
        case 1 where parts[0] == "seeds":
            (seeds, repeats) = (setting, nil)
        case 1 where parts[0] == "repeats":
            (seeds, repeats) = (nil, setting)
        case 1 where parts[0] == "per_seed":
            perSeed = setting
        case 1 where parts[0] == "pretrain_seeds":
            pretrainSeeds = setting
        case 2 where parts[0] != "variants" && !parts[0].isEmpty && !parts[1].isEmpty:
            guard let index = stages.firstIndex(where: { $0.name == parts[0] }) else {
                throw PipelineError.unknownOverrideTarget(
                    here, target: parts[0], valid: stages.map(\.name) + ["variants", "seed", "seeds", "repeats", "per_seed", "pretrain_seeds"])
            }
            Self.set(setting, in: &stages[index].parameters)
        case 3...4 where parts[0] == "variants" && parts[2...].allSatisfy({ !$0.isEmpty }):
            guard let index = variants.firstIndex(where: { $0.name == parts[1] }) else {
                throw PipelineError.unknownOverrideTarget(here, target: "variants.\(parts[1])",
                                                          valid: variants.map { "variants.\($0.name)" })
            }
            // `variants.V.stage.param` keeps its stage-qualified key.
            let key = parts[2...].joined(separator: ".")
            Self.set(Setting(key: key, keyLocation: here, value: value, valueLocation: here), in: &variants[index].settings)
        default:
            throw PipelineError.malformedOverride(text, reason: "'\(target)' is not an override target")
        }
    }

    private static func set(_ setting: Setting, in settings: inout [Setting]) {
        // A variant's seeds replace its repeats and the other way round: the later override wins.
        if let other = Replication.alternative(to: setting.key) { settings.removeAll { $0.key == other } }
        if let existing = settings.firstIndex(where: { $0.key == setting.key }) {
            settings[existing] = setting
        } else {
            settings.append(setting)
        }
    }
}
