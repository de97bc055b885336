// Ancestors and descendants of an artifact, found by recursive SQL over producer and input links.
// Each artifact's producer is the stage run that first wrote it, so cache hits never duplicate a branch.
import Foundation

/// The part of the lineage reachable from one artifact, with enough structure to print as a tree.
///
/// Depth counts stage hops from the root artifact (depth 0). A stage run has the depth of the
/// artifacts on its far side: towards ancestors, a producer of a depth-d artifact is at d + 1, as are
/// its inputs; towards descendants, a consumer of a depth-d artifact is at d + 1, as are its outputs.
/// Where several paths lead to a node, the shortest counts.
///
/// Encodes as `direction` (`up` or `down`), `artifacts`, `stageRuns` and `edges`: the form
/// `tlab lineage --json` prints.
public struct LineageGraph: Sendable, Equatable, Encodable {
    /// Towards what an artifact was computed from, or towards what was computed from it.
    public enum Direction: Sendable { case ancestors, descendants }
    /// Whether an edge is a stage run reading an artifact or writing it.
    public enum PortRole: String, Sendable, Encodable { case input, output }

    /// An artifact, at its distance from the start. Encodes as the artifact's `hash`, `mediaType`,
    /// `rawBytes`, `producedBy` and `removed`, beside its `depth`.
    public struct ArtifactNode: Sendable, Equatable, Encodable {
        public var artifact: ArtifactRecord
        public var depth: Int

        private enum CodingKeys: String, CodingKey { case hash, mediaType, rawBytes, depth, producedBy, removed }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(artifact.hash, forKey: .hash)
            try c.encode(artifact.mediaType, forKey: .mediaType)
            try c.encode(artifact.rawBytes, forKey: .rawBytes)
            try c.encode(depth, forKey: .depth)
            try c.encodeIfPresent(artifact.producedBy, forKey: .producedBy)
            try c.encodeIfPresent(artifact.removed, forKey: .removed)
        }
    }

    /// A stage run, at its distance from the start. Encodes as the run's `id`, `run`, `stage`, `kind`,
    /// `key`, `params` (the recorded JSON object), `status`, `cacheHit`, `seconds` and `started`,
    /// beside its `depth`.
    public struct StageRunNode: Sendable, Equatable, Encodable {
        public var stageRun: StageRunRecord
        public var depth: Int

        private enum CodingKeys: String, CodingKey {
            case id, run, stage, kind, key, params, status, cacheHit, seconds, started, depth
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(stageRun.id, forKey: .id)
            try c.encode(stageRun.runID, forKey: .run)
            try c.encode(stageRun.stage, forKey: .stage)
            try c.encode(stageRun.kind, forKey: .kind)
            try c.encode(stageRun.key, forKey: .key)
            try c.encode(JSONValue(parsing: stageRun.params) ?? .string(stageRun.params), forKey: .params)
            try c.encode(stageRun.status, forKey: .status)
            try c.encode(stageRun.cacheHit, forKey: .cacheHit)
            try c.encodeIfPresent(stageRun.seconds, forKey: .seconds)
            try c.encode(stageRun.started, forKey: .started)
            try c.encode(depth, forKey: .depth)
        }
    }

    /// A stage run reading (`input`) or writing (`output`) an artifact through a named port.
    public struct Edge: Sendable, Hashable, Encodable {
        public var stageRunID: Int64
        public var port: String
        public var artifactHash: String
        public var role: PortRole

        private enum CodingKeys: String, CodingKey {
            case stageRunID = "stageRun", port, artifactHash = "artifact", role
        }
    }

    public var root: String
    public var direction: Direction
    /// Sorted by depth, then hash.
    public var artifacts: [ArtifactNode]
    /// Sorted by depth, then id.
    public var stageRuns: [StageRunNode]
    /// Only edges whose artifact is in `artifacts`; sorted by stage run, role, port.
    public var edges: [Edge]

    private enum CodingKeys: String, CodingKey { case direction, artifacts, stageRuns, edges }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(direction == .ancestors ? "up" : "down", forKey: .direction)
        try c.encode(artifacts, forKey: .artifacts)
        try c.encode(stageRuns, forKey: .stageRuns)
        try c.encode(edges, forKey: .edges)
    }
}

extension LineageDatabase {
    /// Everything `hash` was computed from, back to the sources (download outputs).
    public func ancestors(of hash: String) throws -> LineageGraph {
        try lineage(of: hash, direction: .ancestors)
    }

    /// Everything computed from `hash`, down to the reports.
    public func descendants(of hash: String) throws -> LineageGraph {
        try lineage(of: hash, direction: .descendants)
    }

    /// Producer links only point to earlier writes, so the graph has no cycles; the bound only keeps a
    /// hand-damaged database from recursing forever.
    private static let maxDepth = 10_000

    private func lineage(of root: String, direction: LineageGraph.Direction) throws -> LineageGraph {
        // One step of the walk, and the depth offset and minimum artifact depth for stage runs.
        let step: String
        let stageDepth: (offset: Int, fromArtifactDepth: Int)
        switch direction {
        case .ancestors:
            step = """
                SELECT i.artifact_hash, reached.depth + 1
                FROM reached JOIN artifacts a ON a.hash = reached.hash
                JOIN stage_inputs i ON i.stage_run_id = a.produced_by
                """
            stageDepth = (1, 0)
        case .descendants:
            step = """
                SELECT a.hash, reached.depth + 1
                FROM reached JOIN stage_inputs i ON i.artifact_hash = reached.hash
                JOIN artifacts a ON a.produced_by = i.stage_run_id
                """
            stageDepth = (0, 1)
        }
        let nodesSQL = """
            WITH RECURSIVE reached(hash, depth) AS (
                SELECT CAST(? AS TEXT), 0
                UNION
                \(step) WHERE reached.depth < \(Self.maxDepth)
            ),
            nearest AS (SELECT hash, MIN(depth) AS depth FROM reached GROUP BY hash)
            SELECT hash, NULL AS stage_run_id, depth FROM nearest
            UNION ALL
            SELECT NULL, a.produced_by, MIN(n.depth) + \(stageDepth.offset)
            FROM nearest n JOIN artifacts a ON a.hash = n.hash
            WHERE a.produced_by IS NOT NULL AND n.depth >= \(stageDepth.fromArtifactDepth)
            GROUP BY a.produced_by
            """
        return try database.read { db in
            guard try db.row("SELECT 1 FROM artifacts WHERE hash = ?", [root]) != nil else {
                throw LineageError.noArtifactMatches(prefix: root, database: path)
            }
            var artifactDepth: [String: Int] = [:]
            var stageRunDepth: [Int64: Int] = [:]
            for row in try db.rows(nodesSQL, [root]) {
                if let hash = try row.get("hash", as: String?.self) {
                    artifactDepth[hash] = try row.get("depth")
                } else {
                    stageRunDepth[try row.get("stage_run_id")] = try row.get("depth")
                }
            }
            let hashList = try jsonList(Array(artifactDepth.keys))
            let idList = try jsonList(Array(stageRunDepth.keys))
            let hashes = db.dialect.list(.text), ids = db.dialect.list(.integer)
            let artifacts = try db.rows("SELECT * FROM artifacts WHERE hash IN (\(hashes))", [hashList])
                .map(ArtifactRecord.init)
            let stageRuns = try db.rows("SELECT * FROM stage_runs WHERE id IN (\(ids))", [idList])
                .map(StageRunRecord.init)
            let edges = try db.rows("""
                SELECT stage_run_id, name, artifact_hash, 'input' AS role FROM stage_inputs
                WHERE stage_run_id IN (\(ids)) AND artifact_hash IN (\(hashes))
                UNION ALL
                SELECT stage_run_id, name, artifact_hash, 'output' FROM stage_outputs
                WHERE stage_run_id IN (\(ids)) AND artifact_hash IN (\(hashes))
                ORDER BY stage_run_id, role, name
                """, [idList, hashList, idList, hashList]).map { row in
                LineageGraph.Edge(stageRunID: try row.get("stage_run_id"), port: try row.get("name"),
                                  artifactHash: try row.get("artifact_hash"),
                                  role: LineageGraph.PortRole(rawValue: try row.get("role"))!)
            }
            return LineageGraph(
                root: root, direction: direction,
                artifacts: artifacts.map { .init(artifact: $0, depth: artifactDepth[$0.hash]!) }
                    .sorted { ($0.depth, $0.artifact.hash) < ($1.depth, $1.artifact.hash) },
                stageRuns: stageRuns.map { .init(stageRun: $0, depth: stageRunDepth[$0.id!]!) }
                    .sorted { ($0.depth, $0.stageRun.id!) < ($1.depth, $1.stageRun.id!) },
                edges: edges)
        }
    }
}
