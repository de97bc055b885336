// `tlab show HASH`: what an artifact is, which stage run made it, and its content: a table of
// tensors with their figures, or the text itself.
import ArgumentParser
import Datasets
import Foundation
import Pipeline
import Store

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show an artifact: its tensors (names, dtypes, shapes, min/max/mean) or its text.",
        discussion: """
            HASH is an artifact hash or any unique prefix of one, as 'tlab lineage' prints them. A tensor \
            artifact lists each tensor with its dtype, shape, minimum, maximum and mean; so does a sharded \
            data set (the manifest a preprocess or freeze stage writes), its figures read shard by shard \
            (train_images, train_labels, …); a JSON, Markdown, CSV or SVG artifact prints its content; a \
            raw file prints its size only (use 'tlab export' to get it).

            EXAMPLES:
              tlab show 3f2a9c
              tlab show 3f2a9c --json | jq '.tensors[].shape'
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("Artifact hash or unique prefix.", valueName: "hash"))
    var hash: String

    struct Producer: Encodable {
        let stageRun: Int64
        let stage: String
        let kind: String
        let run: Int64
        let key: String
    }

    struct Tensor: Encodable {
        let name: String
        let dtype: String
        let shape: [Int]
        let statistics: TensorStatistics?
    }

    struct Shown: Encodable {
        let hash: String
        let mediaType: MediaType
        let rawBytes: Int64
        let storedBytes: Int64
        let producedBy: Producer?
        let tensors: [Tensor]?
        let metadata: [String: String]?
        let text: String?
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let shown = try Self.shown(store.lineage.artifact(hashPrefix: hash), in: store)
        if output.json { return try JSONOutput.print(shown) }
        print(Self.render(shown), terminator: "")
    }

    /// What `show` tells of `artifact`: its producer, and its tensors with their figures or its text
    /// (`tlab serve` shows the same).
    static func shown(_ artifact: ArtifactRecord, in store: PipelineStore) throws -> Shown {
        let producer = try artifact.producedBy.flatMap { try store.lineage.stageRun(id: $0) }.map {
            Producer(stageRun: $0.record.id!, stage: $0.record.stage, kind: $0.record.kind, run: $0.record.runID,
                     key: $0.record.key)
        }
        var tensors: [Tensor]?, metadata: [String: String]?, text: String?
        switch artifact.mediaType {
        case .tensor:
            let archive = try store.blobs.readTensors(artifact.hash)
            tensors = archive.tensors.sorted { $0.name < $1.name }.map {
                Tensor(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, statistics: TensorStatistics($0))
            }
            metadata = archive.metadata
        case let type where type.isText:
            let data = try store.blobs.read(artifact.hash)
            if type == .json, let sharded = ShardedArtifact(manifestJSON: data) {
                tensors = try sharded.tensors.map { tensor in
                    var figures = TensorStatistics.Accumulator(tensor.dtype)
                    try sharded.forEachPiece(of: tensor.name, blobs: store.blobs) { figures?.add($0) }
                    return Tensor(name: tensor.name, dtype: tensor.dtype.rawValue, shape: tensor.shape, statistics: figures?.statistics)
                }
                metadata = sharded.metadata.merging(["shards": "\(sharded.shardCount) (the manifest: tlab export \(DisplayFormat.short(artifact.hash)) FILE.json)"]) { $1 }
            } else {
                text = String(decoding: data, as: UTF8.self)
            }
        default:
            break
        }
        return Shown(hash: artifact.hash, mediaType: artifact.mediaType, rawBytes: artifact.rawBytes,
                     storedBytes: artifact.storedBytes, producedBy: producer, tensors: tensors,
                     metadata: metadata, text: text)
    }

    static func render(_ shown: Shown) -> String {
        var lines = [
            "artifact  \(shown.hash)",
            "type      \(shown.mediaType.rawValue)",
            "size      \(DisplayFormat.bytes(shown.rawBytes)) (\(DisplayFormat.bytes(shown.storedBytes)) stored)",
        ]
        if let p = shown.producedBy {
            lines.append("made by   \(p.stage) [\(p.kind)], run \(p.run), stage run \(p.stageRun), key \(DisplayFormat.short(p.key))")
        }
        var out = lines.joined(separator: "\n") + "\n\n"
        if let tensors = shown.tensors {
            var table = TextTable(["TENSOR", "DTYPE", "SHAPE", "MIN", "MAX", "MEAN"], rightAligned: [3, 4, 5])
            for t in tensors {
                let figures = [t.statistics?.min, t.statistics?.max, t.statistics?.mean].map { value in
                    value.map { String(format: "%.6g", $0) } ?? "-"
                }
                table.append([t.name, t.dtype, "[" + t.shape.map(String.init).joined(separator: ", ") + "]"] + figures)
            }
            out += table.rendered()
            for t in tensors where (t.statistics?.nanCount ?? 0) > 0 {
                out += "\(t.name): \(t.statistics!.nanCount) NaN elements, left out of min/max/mean\n"
            }
            for (key, value) in (shown.metadata ?? [:]).sorted(by: { $0.key < $1.key }) {
                out += "metadata  \(key) = \(value)\n"
            }
        } else if let text = shown.text {
            let readable = shown.mediaType == .json ? indentedJSON(text) ?? text : text
            out += readable.hasSuffix("\n") ? readable : readable + "\n"
        } else {
            out += "(raw bytes; 'tlab export \(DisplayFormat.short(shown.hash)) FILE' writes them to a file)\n"
        }
        return out
    }

    /// JSON text indented for reading (keys sorted); nil if it does not parse. `--json` and
    /// `tlab export` keep the stored bytes.
    static func indentedJSON(_ text: String) -> String? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: value,
                                                     options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
