// The mistakes the commands themselves recognise; each message says what is wrong and what to do.
// Errors of the Store and Pipeline modules pass through with their own messages.
import Store

enum CommandError: Error, CustomStringConvertible {
    case notAStore(path: String, reason: String)
    case pipelineNotFound(path: String, available: [String])
    case unknownRun(id: Int64, newest: Int64?)
    case unknownLineageTarget(String)
    case fileNotAnArtifact(path: String, hash: String)
    case exportNeedsTensors(hash: String, mediaType: MediaType)
    case ambiguousTensor(hash: String, names: [String])
    case shardedNeedsTensor(hash: String, names: [String])
    case unknownTensor(name: String, hash: String, names: [String])
    case noNumPyType(tensor: String, dtype: TensorDType)
    case runFailed(runID: Int64, stages: [String])
    case submissionsFailed([Int64])
    case notReproduced(stages: Int)
    case cannotServe(host: String, port: Int, reason: String)

    var description: String {
        switch self {
        case let .notAStore(path, reason):
            return "\(path) is not an artifact store (\(reason)); pass --store (or set TLAB_STORE) to a folder 'tlab run' has written to"
        case let .pipelineNotFound(path, available):
            let hint = available.isEmpty ? "" : " (pipelines/ has: \(available.joined(separator: ", ")))"
            return "no pipeline file at \(path); give the path of a pipeline .yaml file\(hint)"
        case let .unknownRun(id, newest):
            let hint = newest.map { "the newest is run \($0)" } ?? "the store has no runs yet"
            return "no run \(id) in this store; \(hint) ('tlab runs' lists them)"
        case let .unknownLineageTarget(target):
            return "'\(target)' is not a file, a stage name or an artifact hash prefix in this store; "
                + "'tlab runs' and 'tlab status' show what it holds"
        case let .fileNotAnArtifact(path, hash):
            return "\(path) (sha256 \(DisplayFormat.short(hash))…) is not an artifact of this store; "
                + "it was edited since it was written, or another store (--store) wrote it"
        case let .exportNeedsTensors(hash, mediaType):
            return "artifact \(DisplayFormat.short(hash)) is \(mediaType.rawValue), not tensors; only a tensor "
                + "artifact exports to .npy: give FILE another extension to get its bytes as they are"
        case let .ambiguousTensor(hash, names):
            return "artifact \(DisplayFormat.short(hash)) holds \(names.count) tensors; .npy takes one: "
                + "pick it with --tensor (one of \(names.joined(separator: ", "))) or export to .safetensors"
        case let .shardedNeedsTensor(hash, names):
            return "artifact \(DisplayFormat.short(hash)) is a sharded data set of \(names.count) tensors; .npy takes one: "
                + "pick it with --tensor (one of \(names.joined(separator: ", "))), or export the manifest to a .json file"
        case let .unknownTensor(name, hash, names):
            return "artifact \(DisplayFormat.short(hash)) has no tensor '\(name)'; it has \(names.joined(separator: ", "))"
        case let .noNumPyType(tensor, dtype):
            return "tensor '\(tensor)' is \(dtype.rawValue), which NumPy has no type for; export to .safetensors instead"
        case let .submissionsFailed(ids):
            return "the runs of submission \(ids.map(String.init).joined(separator: ", ")) failed (the reason is above); "
                + "they are closed as failed: fix the cause and submit again, or 'tlab run' them to see the error"
        case let .notReproduced(stages):
            return "\(stages) stage\(stages == 1 ? "" : "s") did not reproduce (the certificate above says what differs)"
        case let .cannotServe(host, port, reason):
            return "cannot serve on \(host) port \(port): \(reason); pick another --port (0: any free one) or --host"
        case let .runFailed(runID, stages):
            return "run \(runID) failed in \(stages.joined(separator: ", ")) (the reason is above); fix it and run again: "
                + "the stages that finished are cached"
        }
    }
}
