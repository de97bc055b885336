// A lineage graph as a tree for the terminal and as a Mermaid flowchart. The tree follows the links
// away from the roots: to producers and their inputs (up), or to consumers and their outputs (down);
// the seed copies of one stage are drawn once and the others named on one line.
import Foundation
import Pipeline
import Reporting
import Store

struct LineageRendering {
    let graph: LineageGraph
    let roots: [String]

    private let artifacts: [String: ArtifactRecord]
    private let stageRuns: [Int64: StageRunRecord]

    init(graph: LineageGraph, roots: [String]) {
        self.graph = graph
        self.roots = roots
        artifacts = Dictionary(graph.artifacts.map { ($0.artifact.hash, $0.artifact) }, uniquingKeysWith: { a, _ in a })
        stageRuns = Dictionary(graph.stageRuns.map { ($0.stageRun.id!, $0.stageRun) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: Tree

    /// The tree under a first line naming the target. A stage run reached twice is expanded once;
    /// artifacts that lead to the same stage runs share one line.
    func tree(title: String) -> String {
        var lines = [title]
        var expanded = Set<Int64>()
        for (index, root) in roots.enumerated() {
            appendGroup([root], ports: [nil], indent: "", isLast: index == roots.count - 1, into: &lines,
                         expanded: &expanded)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line for artifacts `hashes` (reached through `ports`), then the stage runs they lead to.
    private func appendGroup(_ hashes: [String], ports: [String?], indent: String, isLast: Bool,
                             into lines: inout [String], expanded: inout Set<Int64>) {
        let text = hashes.count == 1 ? artifactLine(hashes[0], port: ports[0])
            : zip(ports, hashes).map { ($0.0.map { "\($0) " } ?? "") + DisplayFormat.short($0.1) }.joined(separator: ", ")
        lines.append(indent + (isLast ? "└─ " : "├─ ") + text)
        let childIndent = indent + (isLast ? "   " : "│  ")
        let rows = SeedGrouping.rows(stagesAfter(hashes[0]), name: { stageRuns[$0]?.stage ?? "" },
                                     text: { stageRuns[$0]?.kind ?? "" })
        for (index, row) in rows.enumerated() {
            let isLast = index == rows.count - 1
            appendStageRun(row.members[0], indent: childIndent, isLast: isLast && row.members.count == 1, into: &lines,
                           expanded: &expanded)
            appendLikewise(row.members.dropFirst().compactMap { stageRuns[$0]?.stage }, indent: childIndent, isLast: isLast,
                           into: &lines)
        }
    }

    /// One line naming the other seeds' copies of the stage run drawn just above.
    private func appendLikewise(_ names: [String], indent: String, isLast: Bool, into lines: inout [String]) {
        guard let first = names.first else { return }
        let label = StageNaming.label(group: StageNaming.split(first).group, seeds: names.compactMap { StageNaming.split($0).seed })
        lines.append(indent + (isLast ? "└─ " : "├─ ") + "… and likewise \(label) (\(names.count) more seed\(names.count == 1 ? "" : "s"))")
    }

    private func appendStageRun(_ id: Int64, indent: String, isLast: Bool,
                                into lines: inout [String], expanded: inout Set<Int64>) {
        let branch = indent + (isLast ? "└─ " : "├─ ")
        guard expanded.insert(id).inserted else {
            let s = stageRuns[id]
            lines.append(branch + (s.map { "\($0.stage) [\($0.kind)]  run \($0.runID)" } ?? "stage run \(id)") + "  (shown above)")
            return
        }
        lines.append(branch + stageRunLine(id))
        let childIndent = indent + (isLast ? "   " : "│  ")
        // Artifacts leading to the same stage runs (a data set's train, validation and test tensors)
        // share a line, in port order of their first member.
        var groups: [(next: [Int64], edges: [LineageGraph.Edge])] = []
        for edge in artifactsAfter(id) {
            let next = stagesAfter(edge.artifactHash)
            if let index = groups.firstIndex(where: { $0.next == next }) {
                groups[index].edges.append(edge)
            } else {
                groups.append((next, [edge]))
            }
        }
        // The seed copies of one stage (a report's evaluations) lead to trees of one shape: the first
        // is drawn, the others named on one line.
        let rows = SeedGrouping.rows(groups, name: { group in group.next.first.flatMap { stageRuns[$0]?.stage } ?? "" },
                                     text: { group in
            group.edges.map(\.port).joined(separator: ",") + " " + group.next.compactMap { stageRuns[$0]?.stage }.joined(separator: ",")
        })
        for (index, row) in rows.enumerated() {
            let first = row.members[0], isLast = index == rows.count - 1
            appendGroup(first.edges.map(\.artifactHash), ports: first.edges.map(\.port), indent: childIndent,
                        isLast: isLast && row.members.count == 1, into: &lines, expanded: &expanded)
            appendLikewise(row.members.dropFirst().compactMap { $0.next.first.flatMap { stageRuns[$0]?.stage } },
                           indent: childIndent, isLast: isLast, into: &lines)
        }
    }

    /// Up: the stage run that produced the artifact. Down: the stage runs that read it.
    private func stagesAfter(_ hash: String) -> [Int64] {
        switch graph.direction {
        case .ancestors:
            guard let producer = artifacts[hash]?.producedBy, stageRuns[producer] != nil else { return [] }
            return [producer]
        case .descendants:
            let readers = graph.edges.filter { $0.role == .input && $0.artifactHash == hash }.map(\.stageRunID)
            return Array(Set(readers)).sorted()
        }
    }

    /// Up: the stage run's inputs. Down: the outputs it first wrote (an output with the content of
    /// an earlier artifact, such as an architecture passed through unchanged, belongs to that one).
    private func artifactsAfter(_ id: Int64) -> [LineageGraph.Edge] {
        switch graph.direction {
        case .ancestors:
            return graph.edges.filter { $0.stageRunID == id && $0.role == .input }
        case .descendants:
            return graph.edges.filter { $0.stageRunID == id && $0.role == .output && artifacts[$0.artifactHash]?.producedBy == id }
        }
    }

    private func artifactLine(_ hash: String, port: String?) -> String {
        let label = port.map { "\($0): " } ?? ""
        guard let artifact = artifacts[hash] else { return label + DisplayFormat.short(hash) }
        let removed = artifact.removed == nil ? "" : "  (removed from the store)"
        return "\(label)\(DisplayFormat.short(hash))  \(artifact.mediaType.rawValue)  \(DisplayFormat.bytes(artifact.rawBytes))\(removed)"
    }

    private func stageRunLine(_ id: Int64) -> String {
        guard let s = stageRuns[id] else { return "stage run \(id)" }
        let how = s.cacheHit ? "cache hit" : s.status == .finished ? "computed in \(DisplayFormat.seconds(s.seconds ?? 0))" : s.status.rawValue
        var line = "\(s.stage) [\(s.kind)]  run \(s.runID)  key \(DisplayFormat.short(s.key))  \(how)  \(DisplayFormat.date(s.started))"
        let params = StageParameterText.notable(s)
        if !params.isEmpty { line += "  " + params.map { "\($0.name)=\($0.value)" }.joined(separator: " ") }
        return line
    }

    // MARK: Mermaid

    /// A `flowchart LR` in data-flow order: inputs → stage run → outputs, each edge labelled by its port.
    func mermaid() -> String {
        var lines = ["flowchart LR"]
        let artifactIDs = Dictionary(uniqueKeysWithValues: graph.artifacts.enumerated().map { ($1.artifact.hash, "a\($0 + 1)") })
        for node in graph.artifacts {
            let a = node.artifact
            lines.append("  \(artifactIDs[a.hash]!)([\"\(DisplayFormat.short(a.hash))<br/>\(a.mediaType.rawValue)\"])")
        }
        for node in graph.stageRuns {
            let s = node.stageRun
            lines.append("  r\(s.id!)[\"\(s.stage)<br/>\(s.kind), run \(s.runID)\"]")
        }
        for edge in graph.edges {
            guard let artifact = artifactIDs[edge.artifactHash] else { continue }
            switch edge.role {
            case .input: lines.append("  \(artifact) -->|\(edge.port)| r\(edge.stageRunID)")
            case .output: lines.append("  r\(edge.stageRunID) -->|\(edge.port)| \(artifact)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
