// The plan's DAG as text for a terminal, a Mermaid flowchart (Markdown reports) or Graphviz dot.
// A stage's seed copies are drawn as one node (`finetune@frozen#{1,2,3}`), so repeating a pipeline
// over seeds does not drown the picture. Output depends only on the plan, so it compares byte for byte.
import Reporting

/// A rendering of the stage DAG.
public enum DAGFormat: String, CaseIterable, Sendable {
    /// One line per stage (seed copies together) in execution order, indented by depth, with its inputs.
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

    /// A stage with its seed copies: one node of the drawing.
    private struct Node {
        let group: String
        let label: String
        let kind: StageKind
        let variant: String?
        let members: [PlannedStage]
    }

    /// The nodes in plan order (a group where its first copy runs).
    private var nodes: [Node] {
        StageNaming.grouped(stages.map(\.name)).map { group, seeds in
            let members = stages.filter { $0.group == group }
            return Node(group: group, label: StageNaming.label(group: group, seeds: seeds), kind: members[0].kind,
                        variant: members[0].variant, members: members)
        }
    }

    /// A node's inputs by port, in input order, each port's producers as node labels.
    private func inputsByPort(_ node: Node) -> [(port: String, stages: [String])] {
        var grouped = [(port: String, stages: [String])]()
        for input in node.members.flatMap(\.inputs) {
            if let i = grouped.firstIndex(where: { $0.port == input.port }) {
                grouped[i].stages.append(input.stage)
            } else {
                grouped.append((input.port, [input.stage]))
            }
        }
        return grouped.map { ($0.port, StageNaming.labels($0.stages)) }
    }

    /// Edges between nodes, each once, by consumer in plan order then in the consumer's input order.
    private func nodeEdges(_ nodes: [Node]) -> [(from: String, to: String, port: String)] {
        var edges = [(from: String, to: String, port: String)]()
        for node in nodes {
            for input in node.members.flatMap(\.inputs) {
                let from = StageNaming.split(input.stage).group
                if !edges.contains(where: { $0.from == from && $0.to == node.group && $0.port == input.port }) {
                    edges.append((from, node.group, input.port))
                }
            }
        }
        return edges
    }

    private var headline: String {
        "\(name): \(stages.count) stages" + (variants.isEmpty ? "" : ", variants \(variants.joined(separator: ", "))")
            + (seeds.isEmpty ? "" : ", seeds \(seeds.map(String.init).joined(separator: ", "))")
    }

    private func textDAG() -> String {
        let depths = graph.depths()
        var lines = [headline]
        for node in nodes {
            var line = String(repeating: "  ", count: depths[node.members[0].name] ?? 0) + "\(node.label) [\(node.kind.rawValue)]"
            let ports = inputsByPort(node)
            if !ports.isEmpty {
                line += " ← " + ports.map { "\($0.port): \($0.stages.joined(separator: ", "))" }.joined(separator: "; ")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func mermaidDAG() -> String {
        let nodes = self.nodes
        let ids = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.group, "s\($0 + 1)") })
        var lines = ["flowchart TD"]
        // `#` starts an entity code in Mermaid text (`#35;` is the character itself).
        let node = { (n: Node) in
            "\(ids[n.group]!)[\"\(n.label.replacingOccurrences(of: "#", with: "#35;"))<br/>\(n.kind.rawValue)\"]"
        }
        for n in nodes where n.variant == nil { lines.append("  " + node(n)) }
        for variant in variants {
            lines.append("  subgraph variant_\(variant)[\"variant \(variant)\"]")
            for n in nodes where n.variant == variant { lines.append("    " + node(n)) }
            lines.append("  end")
        }
        for edge in nodeEdges(nodes) {
            lines.append("  \(ids[edge.from]!) -->|\(edge.port)| \(ids[edge.to]!)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func dotDAG() -> String {
        let nodes = self.nodes
        var lines = ["digraph \(dotQuoted(name)) {", "  rankdir=TB;", "  graph [fontname=\"Helvetica\"];",
                     "  node [shape=box, fontname=\"Helvetica\"];", "  edge [fontname=\"Helvetica\"];"]
        let node = { (n: Node) in "\(dotQuoted(n.group)) [label=\(dotQuoted(n.label + "\n" + n.kind.rawValue))];" }
        for n in nodes where n.variant == nil { lines.append("  " + node(n)) }
        for variant in variants {
            lines.append("  subgraph \(dotQuoted("cluster_" + variant)) {")
            lines.append("    label=\(dotQuoted("variant " + variant));")
            for n in nodes where n.variant == variant { lines.append("    " + node(n)) }
            lines.append("  }")
        }
        for edge in nodeEdges(nodes) {
            lines.append("  \(dotQuoted(edge.from)) -> \(dotQuoted(edge.to)) [label=\(dotQuoted(edge.port))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `s` as a dot string literal; `\n` becomes a line break in a label.
private func dotQuoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n") + "\""
}
