// `tlab export HASH FILE`: an artifact out of the store as a file other tools read: safetensors as
// stored, one tensor as NumPy `.npy`, anything else byte for byte.
import ArgumentParser
import Foundation
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an artifact to a file: safetensors, .npy for one tensor, or its raw bytes.",
        discussion: """
            The format follows FILE's extension. '.npy' writes one tensor of a tensor artifact as a NumPy \
            array (pick it with --tensor when the artifact holds several). Any other name gets the \
            artifact's bytes exactly as stored: a tensor artifact is then a safetensors file that Python's \
            safetensors loads as is. The content is verified against its hash before FILE is replaced.

            EXAMPLES:
              tlab export 3f2a9c weights.safetensors
              tlab export 3f2a9c --tensor images test-images.npy
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
}
