// What the download stage of an image folder stores: the images' bytes packed back to back into raw
// blobs of bounded size, and a JSON manifest of the classes and of each file's place, size and hash.
// The store then holds the data set itself, so preprocessing it again never needs the folder.
import Foundation
import Store

struct ImageFolderManifest: Codable, Equatable {
    static let formatName = "transferlab.image-folder.v1"

    struct File: Codable, Equatable {
        /// Relative to its folder (`cats/001.jpg`); test files of a separate folder start `test/`.
        var path: String
        var label: Int
        var size: Int
        var sha256: String
        /// Which blob of `shards`, and where in it.
        var shard: Int
        var offset: Int
    }

    var format = Self.formatName
    var classNames: [String]
    /// `train` and `test`, each in data set order (by class, then path).
    var splits: [String: [File]]
    /// The raw blobs holding the files' bytes.
    var shards: [String]
    /// Where the test images came from: `folder` (their own) or `split` (held out, seeded, stratified).
    var test: String
    /// Files that are not images (or not listed in the labels CSV): how many, and the first few.
    var ignoredCount: Int
    var ignoredExamples: [String]

    static func decode(_ data: Data) throws -> ImageFolderManifest {
        let manifest = try decodeJSON(ImageFolderManifest.self, from: data)
        guard manifest.format == formatName else {
            throw DatasetError.badLayout(file: "image-folder manifest", detail: "format \(manifest.format) is not \(formatName)")
        }
        return manifest
    }

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

/// Packs file contents into raw blobs of about `maxShardBytes` each (a file larger than that gets a
/// blob of its own), in the order given.
final class FilePacker {
    private let blobs: BlobStore
    private let maxShardBytes: Int
    private var pending = Data()
    private(set) var shards: [String] = []

    init(blobs: BlobStore, maxShardBytes: Int) {
        self.blobs = blobs
        self.maxShardBytes = maxShardBytes
    }

    /// Adds `contents`; returns the shard index and offset it will have.
    func add(_ contents: Data) throws -> (shard: Int, offset: Int) {
        if !pending.isEmpty && pending.count + contents.count > maxShardBytes { try flush() }
        let place = (shards.count, pending.count)
        pending.append(contents)
        return place
    }

    /// Puts the last blob; returns every blob's hash in order.
    func finish() throws -> [String] {
        try flush()
        return shards
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        shards.append(try blobs.put(pending).hash)
        pending = Data()
    }
}
