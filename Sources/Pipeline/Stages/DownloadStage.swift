// download: a built-in data set, any URL or local path with a checksum, or the synthetic task
// generated here. Outputs the raw files byte for byte (named as their source names them), or for
// synthetic data a sharded data set with a train and a test split.
import Foundation
import Store

struct DownloadStage: Stage {
    static let kind = StageKind.download
    static let version = 2
    /// The output holding generated data: train_/test_ images and labels, class names in metadata.
    static let syntheticOutput = "dataset"
    static let classNamesKey = "class_names"
    /// The share of generated images held out as the test split (Fashion-MNIST's 1 in 7).
    static let syntheticTestShare = 7

    func run(_ context: StageContext) throws -> StageResult {
        let p = context.parameters
        let source = p.string("source")
        if source == "synthetic" { return try synthetic(p, context: context) }
        if source == "image-folder" { return try imageFolder(context) }
        let dataSource: DataSource
        switch source {
        case "url": dataSource = try DataSource.parse(p.optionalString("url")!, checksum: checksum(p))
        case "path": dataSource = try DataSource.parse(p.optionalString("path")!, checksum: checksum(p))
        default: dataSource = try DataSource.parse(source)
        }
        let events = context.events, name = context.name
        let downloader = Downloader(mirror: p.optionalString("mirror").flatMap(URL.init(string:)),
                                    maxBytes: Int64(p.int("max_download_mib")) << 20) { progress in
            guard let expected = progress.expectedBytes, expected > 0 else { return }
            let percent = Int(100 * Double(progress.receivedBytes) / Double(expected))
            events(.progress(stage: name, line: "\(progress.file): \(progress.receivedBytes / 1_000_000) of \(expected / 1_000_000) MB (\(percent)%)"))
        }
        let directory = context.scratch.appendingPathComponent("download")
        let paths = try downloader.fetch(dataSource.withRecordedSizes { PinnedSource.recordedBytes(of: $0, in: context.store) },
                                         into: directory.path)
        return StageResult(outputs: Dictionary(uniqueKeysWithValues: paths.map {
            (($0 as NSString).lastPathComponent, StageOutput.file(URL(fileURLWithPath: $0)))
        }))
    }

    /// `sha256` as the downloader's checksum spelling: a bare hex digest means SHA-256.
    private func checksum(_ p: StageParameters) -> String {
        let given = p.optionalString("sha256")!
        return given.contains(":") ? given : "sha256:" + given
    }

    /// The synthetic task, generated and stored a shard at a time: train and test splits of one
    /// sharded data set, class names in its metadata.
    private func synthetic(_ p: StageParameters, context: StageContext) throws -> StageResult {
        let blobs = context.store.blobs
        let count = p.int("images"), side = p.int("image_size"), seed = UInt64(p.int("seed"))
        let labels = try SyntheticImages.labels(count: count, channels: 3, side: side, seed: seed)
        // The generator shuffles classes, so the last images are as balanced a test set as any.
        let testCount = count / Self.syntheticTestShare
        let writer = ShardedDatasetWriter(blobs: blobs, tensor: "images", dtype: .u8, shape: [3, side, side],
                                          maxShardBytes: shardBytes(p), splits: [TaskSplit.train, TaskSplit.test])
        let imageBytes = 3 * side * side
        let chunk = max(1, min(writer[TaskSplit.train].examplesPerShard, (16 << 20) / imageBytes))
        var pixels = [UInt8](repeating: 0, count: chunk * imageBytes)
        var progress = StageProgress(context, total: count, "images generated")
        for start in stride(from: 0, to: count, by: chunk) {
            let range = start ..< min(start + chunk, count)
            try pixels.withUnsafeMutableBufferPointer { out in
                SyntheticImages.draw(range, labels: labels, channels: 3, side: side, seed: seed, into: out)
                for i in range {
                    let split = i < count - testCount ? TaskSplit.train : TaskSplit.test
                    let offset = (i - start) * imageBytes
                    let image = UnsafeRawBufferPointer(start: out.baseAddress! + offset, count: imageBytes)
                    try writer[split].append(image, labels: [labels[i]])
                }
            }
            progress.advance(by: range.count)
        }
        let names = String(decoding: try canonicalJSON(SyntheticImages.classNames), as: UTF8.self)
        return StageResult(outputs: try writer.finish(metadata: [Self.classNamesKey: names]).outputs(as: Self.syntheticOutput))
    }
}
