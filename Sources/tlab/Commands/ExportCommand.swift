// `tlab export HASH FILE`: an artifact out of the store as a file other tools read: safetensors as
// stored, one tensor as NumPy `.npy`, anything else byte for byte.
import ArgumentParser
import Datasets
import Foundation
import Pipeline
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an artifact to a file: safetensors, .npy for one tensor, or its raw bytes.",
        discussion: """
            The format follows FILE's extension. '.npy' writes one tensor of a tensor artifact as a NumPy \
            array (pick it with --tensor when the artifact holds several); of a sharded data set (the \
            manifest of a preprocess or freeze stage), one of its tensors (train_images, test_labels, …), \
            streamed shard by shard. Any other name gets the artifact's bytes exactly as stored: a tensor \
            artifact is then a safetensors file that Python's safetensors loads as is. The content is \
            verified against its hash before FILE is replaced.

            EXAMPLES:
              tlab export 3f2a9c weights.safetensors
              tlab export 3f2a9c --tensor images test-images.npy
              tlab export 5d10e7 --tensor train_features features.npy
              tlab export 77aa01 evaluation.json
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("Artifact hash or unique prefix.", valueName: "hash"))
    var hash: String

    @Argument(help: ArgumentHelp("File to write (replaced if it exists).", valueName: "file"),
              completion: .file())
    var file: String

    @Option(help: ArgumentHelp("The tensor to write to a .npy file.", valueName: "name"))
    var tensor: String?

    func run() throws {
        let store = try storeOptions.openExisting()
        let artifact = try store.lineage.artifact(hashPrefix: hash)
        let target = URL(fileURLWithPath: file)
        guard target.pathExtension.lowercased() == "npy" else {
            try store.blobs.export(artifact.hash, to: target)
            return
        }
        if artifact.mediaType == .json, let sharded = ShardedArtifact(manifestJSON: try store.blobs.read(artifact.hash)) {
            return try exportSharded(sharded, hash: artifact.hash, store: store, to: target)
        }
        guard artifact.mediaType == .tensor else {
            throw CommandError.exportNeedsTensors(hash: artifact.hash, mediaType: artifact.mediaType)
        }
        let archive = try store.blobs.readTensors(artifact.hash)
        let names = archive.tensors.map(\.name).sorted()
        let chosen: NamedTensor
        if let tensor {
            guard let found = archive[tensor] else {
                throw CommandError.unknownTensor(name: tensor, hash: artifact.hash, names: names)
            }
            chosen = found
        } else {
            guard archive.tensors.count == 1 else { throw CommandError.ambiguousTensor(hash: artifact.hash, names: names) }
            chosen = archive.tensors[0]
        }
        // Atomic, like the blob export: a reader never sees half a file.
        try NumPyFile.encode(chosen).write(to: target, options: .atomic)
    }

    /// One tensor of a sharded data set to `.npy`: the header for the whole tensor, then each shard's
    /// bytes as it is read, into a temporary file renamed into place when complete.
    private func exportSharded(_ sharded: ShardedArtifact, hash: String, store: PipelineStore, to target: URL) throws {
        let names = sharded.tensors.map(\.name)
        guard let tensor else { throw CommandError.shardedNeedsTensor(hash: hash, names: names) }
        guard let chosen = sharded.tensors.first(where: { $0.name == tensor }) else {
            throw CommandError.unknownTensor(name: tensor, hash: hash, names: names)
        }
        guard let descr = NumPyFile.descr(for: chosen.dtype) else { throw CommandError.noNumPyType(tensor: tensor, dtype: chosen.dtype) }
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tlab-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: NumPyFile.header(descr: descr, shape: chosen.shape)) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        do {
            let file = try FileHandle(forWritingTo: temporary)
            defer { try? file.close() }
            try file.seekToEnd()
            try sharded.forEachPiece(of: tensor, blobs: store.blobs) { try file.write(contentsOf: $0.data) }
            try file.synchronize()
            // rename(2) replaces the target atomically: a reader sees the old file or the whole new one.
            guard rename(temporary.path, target.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path,
                                                               NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
