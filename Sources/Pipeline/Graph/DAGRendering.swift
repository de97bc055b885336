// The plan's DAG as text for a terminal, a Mermaid flowchart (Markdown reports) or Graphviz dot.
// Output depends only on the plan, so it can be compared byte for byte.

/// A rendering of the stage DAG.
public enum DAGFormat: String, CaseIterable, Sendable {
    /// One line per stage in execution order, indented by depth, with its inputs.
    case text
    /// A `flowchart TD` block body; each variant's copies grouped in a subgraph.
    case mermaid
    /// A Graphviz `digraph`; each variant's copies grouped in a cluster.
    case dot
}

extension PipelinePlan {
    /// The DAG in `format`, ending with a newline.
    public func renderDAG(_ format: DAGFormat) -> String {
        switch format {
        case .text: return textDAG()
        case .mermaid: return mermaidDAG()
        case .dot: return dotDAG()
        }
    }

    private func textDAG() -> String {
        let depths = graph.depths()
        var lines = ["\(name): \(stages.count) stages" + (variants.isEmpty ? "" : ", variants \(variants.joined(separator: ", "))")]
        for stage in stages {
            var line = String(repeating: "  ", count: depths[stage.name] ?? 0) + "\(stage.name) [\(stage.kind.rawValue)]"
            let ports = inputsByPort(stage)
            if !ports.isEmpty {
                line += " ← " + ports.map { "\($0.port): \($0.stages.joined(separator: ", "))" }.joined(separator: "; ")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func mermaidDAG() -> String {
        let ids = Dictionary(uniqueKeysWithValues: stages.enumerated().map { ($1.name, "s\($0 + 1)") })
        var lines = ["flowchart TD"]
        let node = { (stage: PlannedStage) in "\(ids[stage.name]!)[\"\(stage.name)<br/>\(stage.kind.rawValue)\"]" }
        for stage in stages where stage.variant == nil { lines.append("  " + node(stage)) }
        for variant in variants {
            lines.append("  subgraph variant_\(variant)[\"variant \(variant)\"]")
            for stage in stages where stage.variant == variant { lines.append("    " + node(stage)) }
            lines.append("  end")
        }
        for edge in orderedEdges() {
            lines.append("  \(ids[edge.from]!) -->|\(edge.port)| \(ids[edge.to]!)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func dotDAG() -> String {
        var lines = ["digraph \(dotQuoted(name)) {", "  rankdir=TB;", "  graph [fontname=\"Helvetica\"];",
                     "  node [shape=box, fontname=\"Helvetica\"];", "  edge [fontname=\"Helvetica\"];"]
        let node = { (stage: PlannedStage) in
            "\(dotQuoted(stage.name)) [label=\(dotQuoted(stage.name + "\n" + stage.kind.rawValue))];"
        }
        for stage in stages where stage.variant == nil { lines.append("  " + node(stage)) }
        for variant in variants {
            lines.append("  subgraph \(dotQuoted("cluster_" + variant)) {")
            lines.append("    label=\(dotQuoted("variant " + variant));")
            for stage in stages where stage.variant == variant { lines.append("    " + node(stage)) }
            lines.append("  }")
        }
        for edge in orderedEdges() {
            lines.append("  \(dotQuoted(edge.from)) -> \(dotQuoted(edge.to)) [label=\(dotQuoted(edge.port))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Edges by consumer in execution order, then in the consumer's input order.
    private func orderedEdges() -> [StageGraph.Edge] {
        stages.flatMap { stage in stage.inputs.map { StageGraph.Edge(from: $0.stage, to: stage.name, port: $0.port) } }
    }

    private func inputsByPort(_ stage: PlannedStage) -> [(port: String, stages: [String])] {
        var grouped = [(port: String, stages: [String])]()
        for input in stage.inputs {
            if let i = grouped.firstIndex(where: { $0.port == input.port }) {
                grouped[i].stages.append(input.stage)
            } else {
                grouped.append((input.port, [input.stage]))
            }
        }
        return grouped
    }
}

/// `s` as a dot string literal; `\n` becomes a line break in a label.
private func dotQuoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n") + "\""
}
