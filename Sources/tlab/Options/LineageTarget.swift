// What `tlab lineage TARGET` starts from: a file (hashed, then found among the artifacts), a stage
// name (the outputs of its latest run), or an artifact hash prefix, tried in that order.
import Foundation
import Pipeline
import Store

struct LineageTarget {
    /// How the target was understood, for the tree's first line.
    let label: String
    /// Full hashes of the artifacts the lineage starts from.
    let roots: [String]

    static func resolve(_ target: String, in store: PipelineStore) throws -> LineageTarget {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), !isDirectory.boolValue {
            let hash = try hashOfFile(atPath: target)
            do {
                let artifact = try store.lineage.artifact(hashPrefix: hash)
                return LineageTarget(label: "\(target) = artifact \(DisplayFormat.short(artifact.hash))",
                                     roots: [artifact.hash])
            } catch LineageError.noArtifactMatches {
                throw CommandError.fileNotAnArtifact(path: target, hash: hash)
            }
        }
        if let stageRun = try store.lineage.latestStageRun(stage: target), !stageRun.outputs.isEmpty {
            let record = stageRun.record
            return LineageTarget(label: "stage \(target), run \(record.runID) (stage run \(record.id!))",
                                 roots: stageRun.outputs.sorted { $0.key < $1.key }.map(\.value))
        }
        do {
            let artifact = try store.lineage.artifact(hashPrefix: target)
            return LineageTarget(label: "artifact \(DisplayFormat.short(artifact.hash))", roots: [artifact.hash])
        } catch LineageError.noArtifactMatches, LineageError.invalidHashPrefix {
            throw CommandError.unknownLineageTarget(target)
        }
    }

    /// SHA-256 of a file's bytes, read in pieces so a large file never sits whole in memory.
    private static func hashOfFile(atPath path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CommandError.unknownLineageTarget(path)
        }
        defer { try? handle.close() }
        var hasher = Digest()
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            hasher.update(piece)
        }
        return hasher.finalize()
    }
}
