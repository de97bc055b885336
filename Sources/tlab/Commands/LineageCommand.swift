// `tlab lineage TARGET`: what an artifact was computed from (up to the downloads) or what was
// computed from it (down to the reports), as a tree, JSON or a Mermaid flowchart.
import ArgumentParser
import Foundation
import Store

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show what an artifact was computed from, or what was computed from it.",
        discussion: """
            TARGET is a file a run wrote (a report, an export: it is hashed and found among the artifacts), \
            a stage name (the outputs of its latest run, e.g. finetune@frozen), or an artifact hash or \
            unique prefix. The tree lists each stage run with its kind, run, key prefix, whether it was \
            computed or a cache hit, when, and its parameters; and each artifact with its port, hash prefix, \
            type and size.

            EXAMPLES:
              tlab lineage reports/smoke/report.md     back to the downloads
              tlab lineage data --down                 all that was computed from it
              tlab lineage 3f2a9c --format mermaid > lineage.mmd
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, json, mermaid
    }

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("A file, a stage name or an artifact hash prefix.", valueName: "target"),
              completion: .file())
    var target: String

    /// Which way to walk: towards the sources or towards the reports.
    enum Walk: String, EnumerableFlag {
        case up, down

        static func help(for value: Walk) -> ArgumentHelp? {
            value == .up ? "Follow inputs back to the downloads." : "Follow uses down to the reports."
        }
    }

    @Flag var walk: Walk = .up

    @Option(help: "Output format.")
    var format: Format = .tree

    @Flag(help: "Same as --format json.")
    var json = false

    func run() throws {
        let store = try storeOptions.openExisting()
        let resolved = try LineageTarget.resolve(target, in: store)
        let direction: LineageGraph.Direction = walk == .up ? .ancestors : .descendants
        let graphs = try resolved.roots.map { root in
            direction == .ancestors ? try store.lineage.ancestors(of: root) : try store.lineage.descendants(of: root)
        }
        let graph = Self.merged(graphs, direction: direction)
        let rendering = LineageRendering(graph: graph, roots: resolved.roots)
        switch json ? .json : format {
        case .tree:
            let arrow = direction == .ancestors ? "computed from" : "used by"
            print(rendering.tree(title: "\(resolved.label), \(arrow):"), terminator: "")
        case .mermaid:
            print(rendering.mermaid(), terminator: "")
        case .json:
            try JSONOutput.print(LineageJSON(target: target, roots: resolved.roots, graph: graph))
        }
    }

    /// One graph holding every node and edge of `graphs` (the lineages of a stage's several
    /// outputs), each node at its smallest depth.
    static func merged(_ graphs: [LineageGraph], direction: LineageGraph.Direction) -> LineageGraph {
        // A target resolves to at least one artifact (LineageTarget), so there is a first graph.
        var result = graphs[0]
        var artifacts: [String: LineageGraph.ArtifactNode] = [:]
        var stageRuns: [Int64: LineageGraph.StageRunNode] = [:]
        var edges = Set<LineageGraph.Edge>()
        for graph in graphs {
            for node in graph.artifacts where (artifacts[node.artifact.hash]?.depth ?? .max) > node.depth {
                artifacts[node.artifact.hash] = node
            }
            for node in graph.stageRuns where (stageRuns[node.stageRun.id!]?.depth ?? .max) > node.depth {
                stageRuns[node.stageRun.id!] = node
            }
            edges.formUnion(graph.edges)
        }
        result.artifacts = artifacts.values.sorted { ($0.depth, $0.artifact.hash) < ($1.depth, $1.artifact.hash) }
        result.stageRuns = stageRuns.values.sorted { ($0.depth, $0.stageRun.id!) < ($1.depth, $1.stageRun.id!) }
        result.edges = edges.sorted { ($0.stageRunID, $0.role.rawValue, $0.port) < ($1.stageRunID, $1.role.rawValue, $1.port) }
        return result
    }
}

/// The lineage as `--format json` prints it: what was asked for beside the graph as Store encodes it.
private struct LineageJSON: Encodable {
    let target: String
    let roots: [String]
    let graph: LineageGraph

    private enum CodingKeys: String, CodingKey { case target, roots }

    func encode(to encoder: Encoder) throws {
        try graph.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(roots, forKey: .roots)
    }
}
