// The Datasets target's manifests as stage outputs (a pipeline notion Datasets does not know).
import Datasets
import Foundation

extension ImageFolderManifest {
    /// The manifest and its blobs as stage outputs: the manifest under `name`, the blobs under
    /// `name.shard.00000`, ….
    func outputs(as name: String) throws -> [String: StageOutput] {
        var outputs: [String: StageOutput] = [name: try .json(self)]
        for (index, hash) in shards.enumerated() {
            outputs[name + ".shard." + String(format: "%05d", index)] = .stored(hash: hash, .raw)
        }
        return outputs
    }
}
