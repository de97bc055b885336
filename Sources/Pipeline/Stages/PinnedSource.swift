// Content a stage fetched from a location the pipeline file names without a checksum: the stage key
// cannot cover bytes it has not seen, so the first run pins them by SHA-256 and later runs reuse them.
import Datasets
import Foundation

/// What was fetched and the SHA-256 it was pinned to, written as the stage's `pinned_source` output
/// (and so recorded in lineage); `tlab status` shows it beside the cached stage.
struct PinnedSource: Codable, Equatable {
    /// The output a stage writes it as.
    static let output = "pinned_source"
    /// The output an image-folder download writes the archives it fetched from URLs as (a JSON array):
    /// their checksum is given, but the bytes are unpacked rather than stored, so without this the
    /// next fetch of that checksum would know no size to cap it at.
    static let fetchedArchivesOutput = "fetched_archives"

    /// The URL or path as the pipeline file gives it.
    let location: String
    /// SHA-256 of the fetched file's bytes, as a `*_sha256` parameter would state it.
    let sha256: String
    let bytes: Int64

    /// The file at `path`, fetched from `location`, with its hash.
    init(location: String, file path: String) throws {
        self.location = location
        sha256 = try Checksum.of(file: path, .sha256, decompressed: false).hex
        bytes = try fileBytes(path)
    }

    /// How `status` and the run's log show it.
    var note: String { "pinned on first use to sha256:\(sha256) (\(location))" }
}

extension PinnedSource {
    /// How many pins `recordedBytes` reads at most: a store pins a handful of files, not thousands.
    static let pinsSearched = 100

    /// The size `checksum` (a SHA-256) pinned a file at, as the store recorded it: the file stored
    /// as an artifact (a url download's output: blobs are named by the SHA-256 of their bytes), pinned
    /// on first use (`pinned_source`), or an archive an image-folder download fetched
    /// (`fetched_archives`). Nil when the store never saw those bytes.
    static func recordedBytes(of checksum: Checksum, in store: PipelineStore) -> Int64? {
        guard checksum.algorithm == .sha256 else { return nil }
        if let bytes = try? store.lineage.rawBytes(ofArtifact: checksum.hex) { return bytes }
        for name in [output, fetchedArchivesOutput] {
            for hash in (try? store.lineage.outputHashes(named: name, limit: pinsSearched)) ?? [] {
                guard let data = try? store.blobs.read(hash) else { continue }
                let pins = name == output ? (try? JSONDecoder().decode(Self.self, from: data)).map { [$0] }
                                          : try? JSONDecoder().decode([Self].self, from: data)
                if let pin = pins?.first(where: { $0.sha256 == checksum.hex }) { return pin.bytes }
            }
        }
        return nil
    }
}
