// The list of stage kinds. Adding a kind is one file declaring a `StageDefinition` and one line
// here (docs/adding-a-stage-kind.md).

/// Every stage kind this build knows, in the order documentation lists them.
enum StageRegistry {
    static let definitions: [any StageDefinition.Type] = [
        DownloadStage.self,
        PreprocessStage.self,
        PretrainStage.self,
        FreezeStage.self,
        FineTuneStage.self,
        EvaluateStage.self,
        ExportStage.self,
        ReportStage.self,
    ]

    /// Each kind's definition and schema, the schema built once: resolution reads it per parameter.
    private static let entries: [StageKind: Entry] = Dictionary(
        uniqueKeysWithValues: definitions.map { definition in (definition.kind, Entry(definition: definition, schema: definition.schema)) })

    struct Entry {
        let definition: any StageDefinition.Type
        let schema: StageSchema
    }

    /// The definition and schema of `kind`. Every `StageKind` value comes from a registered definition.
    static func entry(of kind: StageKind) -> Entry {
        guard let entry = entries[kind] else { preconditionFailure("stage kind '\(kind)' is not in StageRegistry.definitions") }
        return entry
    }
}

extension StageKind {
    /// This kind's definition: its parameters, ports, traits and `run`.
    var definition: any StageDefinition.Type { StageRegistry.entry(of: self).definition }
    /// This kind's parameters and ports.
    public var schema: StageSchema { StageRegistry.entry(of: self).schema }
    /// What the executor and the planner need to know about stages of this kind.
    var traits: StageTraits { definition.traits }
    /// Bumped whenever the kind's outputs for the same key would change.
    public var version: Int { definition.version }
}
