// A stage as lineage recorded it, turned back into a stage to plan: its kind, keyed parameters and
// inputs come from the key material the stage run kept, so it computes what it computed then.
import Foundation
import Reporting
import Store

/// One finished stage run to reproduce, with what it recorded.
struct RecordedStage {
    let detail: StageRunDetail
    let material: KeyMaterial
    /// The name to plan it under: its own, or the one the reproduced run gave the same key.
    let name: String

    init(_ detail: StageRunDetail, name: String? = nil) throws {
        guard let json = detail.record.material else {
            throw ReproductionError.noKeyMaterial(stage: detail.record.stage, stageRun: detail.record.id ?? 0)
        }
        self.detail = detail
        material = try KeyMaterial(json: json)
        self.name = name ?? detail.record.stage
    }

    /// The stage to plan. Parameters not in the key take their defaults: by definition they do not
    /// change what the stage produces. Each input comes from `producer(artifact)`, the recorded stage
    /// that computed it; a port taking several keeps them in `order` (the report's own order of its
    /// variants and seeds), else in name order.
    func planned(order: [String], producer: (InputArtifact) -> String) throws -> PlannedStage {
        let values = material.kind.schema.resolved(material.parameters, seed: nil)
        var inputs = [StageInput]()
        for (name, artifact) in material.inputs.sorted(by: { $0.key < $1.key }) {
            let input = StageInput(port: String(name.prefix { $0 != "/" }), stage: producer(artifact))
            if !inputs.contains(input) { inputs.append(input) }
        }
        let rank = { (input: StageInput) in order.firstIndex(of: input.stage) ?? order.count }
        inputs = inputs.enumerated().sorted { a, b in
            (rank(a.element), a.offset) < (rank(b.element), b.offset)
        }.map(\.element)
        let parts = StageNaming.parts(name)
        return PlannedStage(name: name, template: parts.template, variant: parts.variant, seed: parts.seed,
                            backbone: parts.backbone,
                            kind: material.kind, parameters: StageParameters(kind: material.kind, values: values),
                            inputs: inputs, location: .file(path: "stage run \(detail.record.id ?? 0)", line: 1, column: 1))
    }
}

/// Why a run or an artifact cannot be reproduced.
public enum ReproductionError: Error, Equatable, CustomStringConvertible {
    case noKeyMaterial(stage: String, stageRun: Int64)
    case nothingToReproduce(target: String)
    case missingProducer(stage: String, input: String)

    public var description: String {
        switch self {
        case let .noKeyMaterial(stage, stageRun):
            return "stage \(stage) (stage run \(stageRun)) recorded no key material, so what it computed from cannot be "
                + "known; run its pipeline again with this tlab and reproduce that run"
        case let .nothingToReproduce(target):
            return "\(target) has no finished stage run to reproduce ('tlab runs' lists the runs)"
        case let .missingProducer(stage, input):
            return "stage \(stage) read \(input), whose producing stage is not in the lineage being reproduced"
        }
    }
}
