// The dry run: what a run would do, stage by stage, without computing or recording anything.
import Foundation
import Store

extension Executor {
    /// For each stage in plan order: cached, or would run and why. A stage downstream of one that
    /// would run cannot know its inputs yet; its reasons say so, plus any parameter or version
    /// change against its last run.
    public func dryRun() throws -> [StagePreview] {
        try checkForcedNames()
        var outputs: [String: [String: String]] = [:]
        var previews: [StagePreview] = []
        for stage in plan.stages {
            let waitingFor = plan.graph.producers(of: stage.name).filter { outputs[$0] == nil }
            guard waitingFor.isEmpty else {
                let reasons = waitingFor.map { "upstream stage \($0) will run, so its outputs are not known yet" }
                previews.append(StagePreview(name: stage.name, kind: stage.kind, key: nil, cached: false,
                                             reasons: reasons + (try ownChanges(stage))))
                continue
            }
            let material = try KeyMaterial(stage: stage, inputs: InputBinding.inputs(of: stage, outputs: outputs), store: store.root)
            let cache = isForced(stage) ? .forced : try lookUp(material.key)
            if case .reusable(let source) = cache {
                outputs[stage.name] = source.outputs
                previews.append(StagePreview(name: stage.name, kind: stage.kind, key: material.key.hex, cached: true,
                                             reasons: [], notes: try notes(of: source.outputs)))
            } else {
                previews.append(StagePreview(name: stage.name, kind: stage.kind, key: material.key.hex, cached: false,
                                             reasons: try whyRun(stage, material: material, cache: cache)))
            }
        }
        return previews
    }

    /// What a cached run's outputs pin that its key does not show.
    private func notes(of outputs: [String: String]) throws -> [String] {
        guard let hash = outputs[PinnedSource.output] else { return [] }
        return [try JSONDecoder().decode(PinnedSource.self, from: store.blobs.read(hash)).note]
    }

    /// The changes of `stage`'s parameters and versions against its last run, its inputs assumed
    /// the same (they are not known yet).
    private func ownChanges(_ stage: PlannedStage) throws -> [String] {
        guard let json = try store.lineage.latestStageRun(stage: stage.name, pipeline: plan.name)?.record.material,
              let previous = try? KeyMaterial(json: json) else { return [] }
        let current = KeyMaterial(kind: stage.kind, stageVersion: stage.kind.version, engineVersion: StageKind.engineVersion,
                                  parameters: Dictionary(uniqueKeysWithValues: stage.parameters.keyed.map { ($0.name, $0.value) }),
                                  inputs: previous.inputs)
        return current.changes(since: previous).map(\.description)
    }
}
