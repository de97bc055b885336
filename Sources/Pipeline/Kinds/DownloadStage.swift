// download: a built-in data set, any URL or local path with a checksum, or the synthetic task
// generated here. Outputs the raw files byte for byte (named as their source names them), or for
// synthetic data a sharded data set with a train and a test split.
import Datasets
import Foundation
import Store

extension StageKind {
    public static let download = StageKind("download")
}

struct DownloadStage: StageDefinition {
    static let kind = StageKind.download
    static let version = 2

    /// Where the data comes from.
    enum Source: String, CaseIterable, Decodable {
        case cifar10, fashionMNIST = "fashion-mnist", synthetic, url, path, imageFolder = "image-folder"
    }

    struct Parameters: Decodable {
        let source: Source
        let url: String?
        let path: String?
        let sha256: String?
        let mirror: String?
        let testPath: String?
        let labels: String?
        let testFraction: Double
        let images: Int
        let imageSize: Int
        let seed: Int
        let shardMib: Int
        let maxDownloadMib: Int
        let maxUnpackedMib: Int
        let maxUnpackRatio: Int
        let maxUnpackedFiles: Int

        /// The downloader for url sources: `mirror` and `max_download_mib` applied.
        func downloader(progress: (@Sendable (DownloadProgress) -> Void)? = nil) -> Downloader {
            Downloader(mirror: mirror.flatMap(URL.init(string:)), maxBytes: Int64(maxDownloadMib) << 20, progress: progress)
        }

        /// The image folder's locations: one of `path` and `url`, a url with its `sha256`; `stage`
        /// names it in errors.
        func imageFolder(stage: String) throws -> ImageFolderSource {
            let origin: ImageFolderSource.Origin
            switch (path, url) {
            case let (path?, nil): origin = .path(path)
            case let (nil, url?):
                guard let sha256 else {
                    throw StageError.unsupported(stage: stage, parameter: "url", value: url, expected: "a sha256 beside it (the archive's SHA-256)")
                }
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? "") else {
                    throw StageError.unsupported(stage: stage, parameter: "url", value: url, expected: "an http(s) URL of a .tar, .tar.gz or .zip")
                }
                origin = .url(parsed, sha256: sha256)
            default:
                throw StageError.unsupported(stage: stage, parameter: "source", value: "image-folder with "
                                             + (path == nil ? "neither path nor url" : "both path and url"),
                                             expected: "path (a local folder or archive) or url (an archive, with sha256)")
            }
            return try ImageFolderSource(images: origin, testPath: testPath, labels: labels)
        }

        /// `sha256` as the downloader's checksum spelling: a bare hex digest means SHA-256.
        var checksum: String? { sha256.map { $0.contains(":") ? $0 : "sha256:" + $0 } }
    }

    static let parameters = [
        ParameterSpec("source", .choice(Source.allCases.map(\.rawValue)), .required,
                      "built-in data set, any archive by url/path with a checksum, or a folder of class folders holding PNG/JPEG files"),
        ParameterSpec("url", .string, .absent, "archive to fetch when source is url or image-folder"),
        ParameterSpec("path", .string, .absent,
                      "local archive to read when source is path; image-folder: the folder, or a .tar, .tar.gz or .zip of it"),
        ParameterSpec("sha256", .string, .absent, "expected SHA-256 of the url/path archive (image-folder: of a url archive)"),
        ParameterSpec("mirror", .string, .absent, inKey: false,
                      "base URL replacing the publisher's (content is checksum-verified either way)"),
        ParameterSpec("test_path", .string, .absent,
                      "image-folder: a separate folder (or archive) of test images with the same class folders"),
        ParameterSpec("labels", .string, .absent,
                      "image-folder: a CSV of file,label lines giving each image's class, inside the folder or a path"),
        ParameterSpec("test_fraction", .float(0.01...0.9), .value(.float(0.2)),
                      "image-folder without test images: share of each class held out as the test set"),
        ParameterSpec("images", .int(10...10_000_000), .value(.int(6000)), "synthetic: images generated (train + test)"),
        ParameterSpec("image_size", .int(8...512), .value(.int(32)), "synthetic: image width and height"),
        // Not the pipeline seed: changing that must not regenerate (or re-download) the data.
        ParameterSpec("seed", .int(0...Int(Int32.max)), .value(.int(0)), "synthetic: generator seed; image-folder: test split seed"),
        ParameterSpec.shardSize("synthetic and image-folder"),
        // Limits on hostile or mistaken input: they change what is refused, never what is produced.
        ParameterSpec("max_download_mib", .int(1...16 << 20), .value(.int(Int(Downloader.defaultMaxBytes >> 20))), inKey: false,
                      "largest file a url download may fetch, in MiB (a longer body is refused)"),
        ParameterSpec("max_unpacked_mib", .int(1...16 << 20), .value(.int(Int(UnpackLimits.defaults.maxTotalBytes >> 20))),
                      inKey: false, "image-folder: most an archive may unpack to, in MiB"),
        ParameterSpec("max_unpack_ratio", .int(1...1_000_000), .value(.int(Int(UnpackLimits.defaults.maxRatio))), inKey: false,
                      "image-folder: most an archive may unpack to as a multiple of its own size (beyond its first 16 MiB)"),
        ParameterSpec("max_unpacked_files", .int(1...1 << 30), .value(.int(UnpackLimits.defaults.maxFiles)), inKey: false,
                      "image-folder: most files an archive may unpack to"),
    ]
    static let ports: [PortSpec] = []
    static let requirements = [
        Requirement(parameter: "source", value: .string(Source.url.rawValue), needs: ["url", "sha256"]),
        Requirement(parameter: "source", value: .string(Source.path.rawValue), needs: ["path", "sha256"]),
    ]

    /// An image folder read from local files has their fingerprint in its key; a url one is pinned by its checksum.
    static func externalContent(_ parameters: Parameters, stage: String, cache: FileHashCache) throws -> String? {
        guard parameters.source == .imageFolder else { return nil }
        return try parameters.imageFolder(stage: stage).fingerprint(cache: cache)
    }
    /// The output holding generated data: train_/test_ images and labels, class names in metadata.
    static let syntheticOutput = "dataset"
    static let classNamesKey = "class_names"
    /// The share of generated images held out as the test split (Fashion-MNIST's 1 in 7).
    static let syntheticTestShare = 7

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let dataSource: DataSource
        switch p.source {
        case .synthetic: return try synthetic(p, context: context)
        case .imageFolder: return try imageFolder(p, context)
        // The requirements above make url/path and sha256 present.
        case .url: dataSource = try DataSource.parse(p.url!, checksum: p.checksum!)
        case .path: dataSource = try DataSource.parse(p.path!, checksum: p.checksum!)
        case .cifar10, .fashionMNIST: dataSource = try DataSource.parse(p.source.rawValue)
        }
        let events = context.events, name = context.name
        let downloader = p.downloader { progress in
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

    /// The synthetic task, generated and stored a shard at a time: train and test splits of one
    /// sharded data set, class names in its metadata.
    private func synthetic(_ p: Parameters, context: StageContext) throws -> StageResult {
        let blobs = context.store.blobs
        let count = p.images, side = p.imageSize, seed = UInt64(p.seed)
        let labels = try SyntheticImages.labels(count: count, channels: 3, side: side, seed: seed)
        // The generator shuffles classes, so the last images are as balanced a test set as any.
        let testCount = count / Self.syntheticTestShare
        let writer = ShardedDatasetWriter(blobs: blobs, tensor: "images", dtype: .u8, shape: [3, side, side],
                                          maxShardBytes: p.shardMib << 20, splits: [TaskSplit.train, TaskSplit.test])
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
