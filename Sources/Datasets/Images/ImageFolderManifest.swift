// What the download stage of an image folder stores: the images' bytes packed back to back into raw
// blobs of bounded size, and a JSON manifest of the classes and of each file's place, size and hash.
// The store then holds the data set itself, so preprocessing it again never needs the folder.
import Foundation
import Store

package struct ImageFolderManifest: Codable, Equatable {
    static let formatName = "transferlab.image-folder.v1"

    package struct File: Codable, Equatable {
        /// Relative to its folder (`cats/001.jpg`); test files of a separate folder start `test/`.
        package var path: String
        package var label: Int
        package var size: Int
        package var sha256: String
        /// Which blob of `shards`, and where in it.
        package var shard: Int
        package var offset: Int

        package init(path: String, label: Int, size: Int, sha256: String, shard: Int, offset: Int) {
            self.path = path
            self.label = label
            self.size = size
            self.sha256 = sha256
            self.shard = shard
            self.offset = offset
        }
    }

    package var format = Self.formatName
    package var classNames: [String]
    /// `train` and `test`, each in data set order (by class, then path).
    package var splits: [String: [File]]
    /// The raw blobs holding the files' bytes.
    package var shards: [String]
    /// Where the test images came from: `folder` (their own) or `split` (held out, seeded, stratified).
    package var test: String
    /// Files that are not images (or not listed in the labels CSV): how many, and the first few.
    package var ignoredCount: Int
    package var ignoredExamples: [String]

    package init(classNames: [String], splits: [String: [File]], shards: [String], test: String, ignoredCount: Int,
                 ignoredExamples: [String]) {
        self.classNames = classNames
        self.splits = splits
        self.shards = shards
        self.test = test
        self.ignoredCount = ignoredCount
        self.ignoredExamples = ignoredExamples
    }

    package static func decode(_ data: Data) throws -> ImageFolderManifest {
        let manifest = try JSONDecoder().decode(ImageFolderManifest.self, from: data)
        guard manifest.format == formatName else {
            throw DatasetError.badLayout(file: "image-folder manifest", detail: "format \(manifest.format) is not \(formatName)")
        }
        return manifest
    }
}

/// Packs file contents into raw blobs of about `maxShardBytes` each (a file larger than that gets a
/// blob of its own), in the order given.
package final class FilePacker {
    private let blobs: BlobStore
    private let maxShardBytes: Int
    private var pending = Data()
    package private(set) var shards: [String] = []

    package init(blobs: BlobStore, maxShardBytes: Int) {
        self.blobs = blobs
        self.maxShardBytes = maxShardBytes
    }

    /// Adds `contents`; returns the shard index and offset it will have.
    package func add(_ contents: Data) throws -> (shard: Int, offset: Int) {
        if !pending.isEmpty && pending.count + contents.count > maxShardBytes { try flush() }
        let place = (shards.count, pending.count)
        pending.append(contents)
        return place
    }

    /// Puts the last blob; returns every blob's hash in order.
    package func finish() throws -> [String] {
        try flush()
        return shards
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        shards.append(try blobs.put(pending).hash)
        pending = Data()
    }
}
