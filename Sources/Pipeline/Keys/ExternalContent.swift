// Content a stage reads from outside the store (`StageDefinition.externalContent`: the local folder
// or archive of an image-folder download) summarised as a fingerprint that goes into its key like a parameter, so the
// stage runs again exactly when those files change.
import Datasets
import Foundation

enum ExternalContent {
    /// The name the fingerprint has among the key material's parameters.
    static let parameter = "content"

    /// The fingerprint of the local files `stage` reads, or nil when its parameters pin its content
    /// (a checksum) or it reads none. File hashes are remembered in `store`'s hash cache.
    static func fingerprint(of stage: PlannedStage, store: URL?) throws -> String? {
        let cache = FileHashCache(file: store.map(FileHashCache.location(inStore:)))
        defer { cache.save() }
        return try stage.kind.definition.externalContent(of: stage, cache: cache)
    }
}

extension KeyMaterial {
    /// The material of `stage` fed with `inputs`, with the fingerprint of the local files it reads
    /// (see `ExternalContent`), hashed with the help of the file-hash cache of the store at `store`.
    init(stage: PlannedStage, inputs: [String: InputArtifact], store: URL?) throws {
        let plain = KeyMaterial(stage: stage, inputs: inputs)
        guard let content = try ExternalContent.fingerprint(of: stage, store: store) else {
            self = plain
            return
        }
        var parameters = plain.parameters
        parameters[ExternalContent.parameter] = .string(content)
        self.init(kind: plain.kind, stageVersion: plain.stageVersion, engineVersion: plain.engineVersion,
                  parameters: parameters, inputs: inputs)
    }

    /// The fingerprint of the local files the stage reads, if it reads any.
    var externalContent: String? {
        if case .string(let value)? = parameters[ExternalContent.parameter] { return value }
        return nil
    }
}
