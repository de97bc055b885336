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

    /// The definition of `kind`. Every `StageKind` value comes from a registered definition.
    static func definition(of kind: StageKind) -> any StageDefinition.Type {
        guard let definition = definitions.first(where: { $0.kind == kind }) else {
            preconditionFailure("stage kind '\(kind)' is not in StageRegistry.definitions")
        }
        return definition
    }
}

extension StageKind {
    /// This kind's definition: its parameters, ports, traits and `run`.
    var definition: any StageDefinition.Type { StageRegistry.definition(of: self) }
    /// This kind's parameters and ports.
    public var schema: StageSchema { definition.schema }
    /// What the executor and the planner need to know about stages of this kind.
    var traits: StageTraits { definition.traits }
    /// Bumped whenever the kind's outputs for the same key would change.
    public var version: Int { definition.version }
}
