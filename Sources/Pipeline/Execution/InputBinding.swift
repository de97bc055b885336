// How the outputs of a stage's producers become its named inputs: the names the key hashes, lineage
// records and stages ask for.

/// Input naming. A binding `data: prep` gives the consumer every output of `prep` as
/// `data/<output>`; a port taking several stages (`evaluations: evaluate`, one per variant) names
/// the producer too, `evaluations/evaluate@frozen/<output>`, because which variant an evaluation
/// belongs to is part of what the report says. A port may take only some outputs, depending on the
/// stage's parameters (`PortSpec.readsOnly`).
enum InputBinding {
    static func name(port: String, producer: String?, output: String) -> String {
        producer.map { "\(port)/\($0)/\(output)" } ?? "\(port)/\(output)"
    }

    /// The inputs of `stage` given each finished producer's outputs (output name → hash).
    static func inputs(of stage: PlannedStage, outputs: [String: [String: String]]) -> [String: InputArtifact] {
        let schema = stage.kind.schema
        var inputs = [String: InputArtifact]()
        for input in stage.inputs {
            let port = schema.port(input.port)
            let many = port?.many ?? false
            for (output, hash) in outputs[input.stage] ?? [:] where port?.takes(output, with: stage.parameters) ?? true {
                let name = name(port: input.port, producer: many ? input.stage : nil, output: output)
                inputs[name] = InputArtifact(stage: input.stage, hash: hash)
            }
        }
        return inputs
    }
}
