// download: a built-in data set, any URL or local path with a checksum, or the synthetic task
// generated here. Outputs the raw files byte for byte (named as their source names them), or for
// synthetic data one tensor artifact with a train and a test split.
import Foundation
import Store

struct DownloadStage: Stage {
    static let kind = StageKind.download
    static let version = 1
    /// The output holding generated data: train_/test_ images and labels, class names in metadata.
    static let syntheticOutput = "dataset"
    static let classNamesKey = "class_names"
    /// The share of generated images held out as the test split (Fashion-MNIST's 1 in 7).
    static let syntheticTestShare = 7

    func run(_ context: StageContext) throws -> StageResult {
        let p = context.parameters
        let source = p.string("source")
        if source == "synthetic" { return try synthetic(p) }
        let dataSource: DataSource
        switch source {
        case "url": dataSource = try DataSource.parse(p.optionalString("url")!, checksum: checksum(p))
        case "path": dataSource = try DataSource.parse(p.optionalString("path")!, checksum: checksum(p))
        default: dataSource = try DataSource.parse(source)
        }
        let events = context.events, name = context.name
        let downloader = Downloader(mirror: p.optionalString("mirror").flatMap(URL.init(string:))) { progress in
            guard let expected = progress.expectedBytes, expected > 0 else { return }
            let percent = Int(100 * Double(progress.receivedBytes) / Double(expected))
            events(.progress(stage: name, line: "\(progress.file): \(progress.receivedBytes / 1_000_000) of \(expected / 1_000_000) MB (\(percent)%)"))
        }
        let directory = context.scratch.appendingPathComponent("download")
        let paths = try downloader.fetch(dataSource, into: directory.path)
        return StageResult(outputs: Dictionary(uniqueKeysWithValues: paths.map {
            (($0 as NSString).lastPathComponent, StageOutput.file(URL(fileURLWithPath: $0)))
        }))
    }

    /// `sha256` as the downloader's checksum spelling: a bare hex digest means SHA-256.
    private func checksum(_ p: StageParameters) -> String {
        let given = p.optionalString("sha256")!
        return given.contains(":") ? given : "sha256:" + given
    }

    private func synthetic(_ p: StageParameters) throws -> StageResult {
        let all = try SyntheticImages.generate(count: p.int("images"), channels: 3, side: p.int("image_size"),
                                               seed: UInt64(p.int("seed")))
        // The generator shuffles classes, so the last images are as balanced a test set as any.
        let testCount = all.count / Self.syntheticTestShare
        let train = all.selecting(Array(0..<(all.count - testCount)))
        let test = all.selecting(Array((all.count - testCount)..<all.count))
        let names = String(decoding: try canonicalJSON(SyntheticImages.classNames), as: UTF8.self)
        let archive = TensorArchive(tensors: try train.namedTensors("train") + test.namedTensors("test"),
                                    metadata: [Self.classNamesKey: names])
        return StageResult(outputs: [Self.syntheticOutput: .tensors(archive)])
    }
}
