// preprocess: read the downloaded data set, cut out the source and target tasks (class subsets
// relabelled 0..n-1, per-class limits, a seeded stratified validation split), fix the normalisation,
// and store the images as uint8 (exact and small) with int32 labels.
import Engine
import Foundation
import Store

struct PreprocessStage: Stage {
    static let kind = StageKind.preprocess
    static let version = 1
    static let targetOutput = "target"
    static let sourceOutput = "source"
    static let infoOutput = "info"

    func run(_ context: StageContext) throws -> StageResult {
        let p = context.parameters
        var (train, test) = try readRaw(context)
        if p.bool("grayscale_to_rgb") {
            (train, test) = (try train.expandingGrayscaleToRGB(), try test.expandingGrayscaleToRGB())
        }
        if p.int("resize") > 0 {
            (train, test) = (try train.resized(to: p.int("resize")), try test.resized(to: p.int("resize")))
        }
        let target = try task(p.ints("target_classes"), perClass: p.int("per_class"), train: train, test: test,
                              parameters: p, random: context.random.stream(0))
        let sourceClasses = p.ints("source_classes")
        let source = sourceClasses.isEmpty ? nil
            : try task(sourceClasses, perClass: p.int("source_per_class"), train: train, test: test,
                       parameters: p, random: context.random.stream(1))

        let normalization: Normalization
        switch p.string("normalize") {
        case "imagenet":
            guard train.channels == 3 else {
                throw StageError.unsupported(stage: context.name, parameter: "normalize", value: "imagenet for \(train.channels)-channel images",
                                             expected: "3 channels (set grayscale_to_rgb: true) or normalize: dataset")
            }
            normalization = .imageNet
        case "none": normalization = .unitRange
        default: normalization = try (source?.train ?? target.train).channelStatistics()
        }
        let info = PreparedDataInfo(targetClasses: target.train.classNames, sourceClasses: source?.train.classNames ?? [],
                                    normalization: normalization, channels: train.channels, height: train.height, width: train.width)
        var outputs: [String: StageOutput] = [Self.targetOutput: .tensors(try target.tensors), Self.infoOutput: try .json(info)]
        if let source { outputs[Self.sourceOutput] = .tensors(try source.tensors) }
        context.message("target task: \(target.train.count) train, \(target.validation.count) validation, \(target.test.count) test images"
                        + (source.map { "; source task: \($0.train.count) train" } ?? ""))
        return StageResult(outputs: outputs)
    }

    /// One task's splits: its classes relabelled, at most `perClass` training images per class, a
    /// stratified validation split, the test set limited by `test_per_class`.
    private func task(_ classes: [Int], perClass: Int, train: ImageDataset, test: ImageDataset,
                      parameters p: StageParameters, random: CounterRandom) throws -> TaskSplits {
        var pool = try train.selectingClasses(classes)
        if perClass > 0 { pool = try pool.limitingPerClass(perClass, seed: random.bits(at: 0)) }
        let split = try pool.split(validationFraction: p.double("validation_fraction"), seed: random.bits(at: 1))
        var testSet = try test.selectingClasses(classes)
        if p.int("test_per_class") > 0 { testSet = try testSet.limitingPerClass(p.int("test_per_class"), seed: random.bits(at: 2)) }
        return TaskSplits(train: split.train, validation: split.validation, test: testSet)
    }

    /// The training and test sets of whatever the download produced.
    private func readRaw(_ context: StageContext) throws -> (train: ImageDataset, test: ImageDataset) {
        let names = context.outputNames(of: "raw")
        if names.contains(DownloadStage.syntheticOutput) {
            let archive = try context.tensors("raw", DownloadStage.syntheticOutput)
            let classNames = try decodeJSON([String].self, from: Data((archive.metadata[DownloadStage.classNamesKey] ?? "[]").utf8))
            return (try ImageDataset(archive, prefix: "train", classNames: classNames),
                    try ImageDataset(archive, prefix: "test", classNames: classNames))
        }
        let fashion = [FashionMNIST.trainImages, FashionMNIST.trainLabels, FashionMNIST.testImages, FashionMNIST.testLabels]
        if fashion.allSatisfy(names.contains) {
            let files = try fashion.map { try context.file("raw", $0) }
            return try FashionMNIST.read(directory: files[0].deletingLastPathComponent().path)
        }
        if let archive = names.first(where: { $0 == CIFAR10Reader.archiveName || $0.hasSuffix(".tar.gz") || $0.hasSuffix(".tgz") }) {
            return try CIFAR10Reader.read(archive: context.file("raw", archive).path)
        }
        throw StageError.unknownDataFormat(stage: context.name, files: names)
    }
}
