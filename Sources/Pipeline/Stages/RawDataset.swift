// Whatever a download stage produced, as preprocess reads it: the raw training and test splits with
// their class names, from the Fashion-MNIST files, the CIFAR-10 tarball, the synthetic shards or an
// image folder's packed files.
import Datasets
import Foundation
import Store

/// The two raw splits of a downloaded data set.
struct RawDataset {
    var train: RawImages
    var test: RawImages
    var classNames: [String]
    /// Files left out as unreadable (image folders with `skip_bad_images`).
    var skipped: [SkippedImage] = []
    /// Image-folder files smaller than the declared size, scaled up.
    var upscaled: [String] = []

    /// Reads the outputs of the stage bound to `raw`; image files are decoded to `sizing`.
    static func read(_ context: StageContext, sizing: DecodedImages.Sizing) throws -> RawDataset {
        let names = context.outputNames(of: "raw")
        if names.contains(DownloadStage.syntheticOutput) {
            let manifest = try context.shards("raw", DownloadStage.syntheticOutput)
            let classNames = try decodeJSON([String].self, from: Data((manifest.metadata[DownloadStage.classNamesKey] ?? "[]").utf8))
            return RawDataset(train: try ShardedImages(manifest, split: TaskSplit.train, blobs: context.store.blobs),
                              test: try ShardedImages(manifest, split: TaskSplit.test, blobs: context.store.blobs),
                              classNames: classNames)
        }
        if names.contains(DownloadStage.imagesOutput) {
            let data = try context.store.blobs.read(context.hash("raw", DownloadStage.imagesOutput))
            let manifest = try ImageFolderManifest.decode(data)
            let scratch = context.scratch.appendingPathComponent("decoded")
            var progress = StageProgress(context, total: manifest.splits.values.reduce(0) { $0 + $1.count }, "images decoded")
            let train = try DecodedImages(manifest, split: TaskSplit.train, sizing: sizing, blobs: context.store.blobs, scratch: scratch) {
                progress.advance(by: $0)
            }
            let test = try DecodedImages(manifest, split: TaskSplit.test, sizing: sizing, blobs: context.store.blobs, scratch: scratch) {
                progress.advance(by: $0)
            }
            return RawDataset(train: train, test: test, classNames: manifest.classNames, skipped: train.skipped + test.skipped,
                              upscaled: train.upscaled + test.upscaled)
        }
        let fashion = [FashionMNIST.trainImages, FashionMNIST.trainLabels, FashionMNIST.testImages, FashionMNIST.testLabels]
        if fashion.allSatisfy(names.contains) {
            let files = try fashion.map { try context.file("raw", $0) }
            let (train, test) = try FashionMNIST.read(directory: files[0].deletingLastPathComponent().path)
            return RawDataset(train: InMemoryImages(dataset: train), test: InMemoryImages(dataset: test), classNames: train.classNames)
        }
        if let archive = names.first(where: { $0 == CIFAR10Reader.archiveName || $0.hasSuffix(".tar.gz") || $0.hasSuffix(".tgz") }) {
            let (train, test) = try CIFAR10Reader.read(archive: context.file("raw", archive).path)
            return RawDataset(train: InMemoryImages(dataset: train), test: InMemoryImages(dataset: test), classNames: train.classNames)
        }
        throw StageError.unknownDataFormat(stage: context.name, files: names)
    }
}
