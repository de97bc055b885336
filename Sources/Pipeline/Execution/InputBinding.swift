// How the outputs of a stage's producers become its named inputs: the names the key hashes, lineage
// records and stages ask for.

/// Input naming. A binding `data: prep` gives the consumer every output of `prep` as
/// `data/<output>`; a port taking several stages (`evaluations: evaluate`, one per variant) names
/// the producer too, `evaluations/evaluate@frozen/<output>`, because which variant an evaluation
/// belongs to is part of what the report says.
enum InputBinding {
    static func name(port: String, producer: String?, output: String) -> String {
        producer.map { "\(port)/\($0)/\(output)" } ?? "\(port)/\(output)"
    }

    /// The inputs of `stage` given each finished producer's outputs (output name → hash).
    static func inputs(of stage: PlannedStage, outputs: [String: [String: String]]) -> [String: InputArtifact] {
        let schema = StageSchema.of(stage.kind)
        var inputs = [String: InputArtifact]()
        for input in stage.inputs {
            let many = schema.ports.first { $0.name == input.port }?.many ?? false
            for (output, hash) in outputs[input.stage] ?? [:] {
                let name = name(port: input.port, producer: many ? input.stage : nil, output: output)
                inputs[name] = InputArtifact(stage: input.stage, hash: hash)
            }
        }
        return inputs
    }
}
