// preprocess: read the downloaded data set, cut out the source and target tasks (class subsets
// relabelled 0..n-1, per-class limits, a seeded stratified validation split), fix the normalisation,
// and store the images as uint8 shards (exact and small) with int32 labels. Subsets and splits are
// decided from the labels; the pixels then stream through once, so the data set never has to fit in
// memory.
import Datasets
import Engine
import Foundation
import Store

extension StageKind {
    public static let preprocess = StageKind("preprocess")
}

struct PreprocessStage: StageDefinition {
    static let kind = StageKind.preprocess
    static let version = 2
    static let targetOutput = "target"
    static let sourceOutput = "source"
    static let infoOutput = "info"

    /// The per-channel mean and standard deviation images are normalised with (`normalize`).
    enum NormalizationChoice: String, CaseIterable, Decodable {
        case dataset, imagenet, none
    }

    struct Parameters: Decodable {
        let sourceClasses: [Int]
        let targetClasses: [Int]
        let perClass: Int
        let sourcePerClass: Int
        let testPerClass: Int
        let validationFraction: Double
        let normalize: NormalizationChoice
        let grayscaleToRgb: Bool
        let resize: Int
        let resizeMode: ResizeMode
        let skipBadImages: Bool
        let seed: Int
        let shardMib: Int
    }

    private static let classes: ParameterType = .ints(0...9_999)
    private static let count: ParameterType = .int(0...100_000_000)
    static let parameters = [
        ParameterSpec("source_classes", classes, .value(.ints([])),
                      "classes of the source (pretraining) task, relabelled 0..n-1; empty when pretrain imports weights"),
        ParameterSpec("target_classes", classes, .value(.ints([])),
                      "classes of the target (fine-tuning) task, relabelled 0..n-1; empty for every class"),
        ParameterSpec("per_class", count, .value(.int(0)), "labelled target training images per class (0: all)"),
        ParameterSpec("source_per_class", count, .value(.int(0)), "source training images per class (0: all)"),
        ParameterSpec("test_per_class", count, .value(.int(0)), "test images per class, both tasks (0: all)"),
        ParameterSpec("validation_fraction", .float(0...0.9), .value(.float(0.1)),
                      "share of training images held out for validation (0: validate on the test set, as the study did)"),
        ParameterSpec("normalize", .choice(NormalizationChoice.allCases.map(\.rawValue)), .value(.string(NormalizationChoice.dataset.rawValue)),
                      "per-channel mean/std: the data set's own, ImageNet's, or none"),
        ParameterSpec("grayscale_to_rgb", .bool, .value(.bool(false)), "repeat a single channel three times"),
        ParameterSpec("resize", .int(0...1024), .value(.int(0)),
                      "side of the square every image is resized to when stored, antialiased (0: keep)"),
        ParameterSpec("resize_mode", .choice(ResizeMode.allCases.map(\.rawValue)), .value(.string(ResizeMode.crop.rawValue)),
                      "non-square images: crop (shorter side to size, centre kept) or stretch"),
        ParameterSpec("skip_bad_images", .bool, .value(.bool(false)),
                      "image-folder: leave out (and list) images that cannot be decoded instead of failing"),
        ParameterSpec("seed", ParameterSpec.seed, .pipelineSeed, "subset and split seed"),
        ParameterSpec.shardSize("images"),
    ]
    static let ports = [PortSpec("raw", [.download])]

    func run(_ p: Parameters, in context: StageContext) throws -> StageResult {
        let raw = try RawDataset.read(context, sizing: DecodedImages.Sizing(side: p.resize, mode: p.resizeMode, skipBad: p.skipBadImages))
        let transform = try ImageTransform(p, input: raw.train.shape, stage: context.name)
        let classCount = raw.classNames.count
        let targetClasses = p.targetClasses.isEmpty ? Array(0..<classCount) : p.targetClasses
        let random = CounterRandom(seed: UInt64(p.seed))
        let target = try TaskPlan(targetClasses, perClass: p.perClass, raw: raw, parameters: p, random: random.stream(0))
        let sourceClasses = p.sourceClasses
        let source = sourceClasses.isEmpty ? nil
            : try TaskPlan(sourceClasses, perClass: p.sourcePerClass, raw: raw, parameters: p, random: random.stream(1))

        let shape = transform.outputShape
        var normalization: Normalization?
        switch p.normalize {
        case .imagenet:
            guard shape[0] == 3 else {
                throw StageError.unsupported(stage: context.name, parameter: "normalize", value: "imagenet for \(shape[0])-channel images",
                                             expected: "3 channels (set grayscale_to_rgb: true) or normalize: dataset")
            }
            normalization = .imageNet
        case .none: normalization = .unitRange
        case .dataset: break  // the statistics of the source (or else target) training images, gathered as they stream
        }
        let plans = [target] + (source.map { [$0] } ?? [])
        let writers = plans.map { _ in
            ShardedDatasetWriter(blobs: context.store.blobs, tensor: "images", dtype: .u8, shape: shape,
                                 maxShardBytes: p.shardMib << 20, splits: TaskSplit.all)
        }
        var statistics = ChannelStatistics(channels: shape[0], plane: shape[1] * shape[2], scale: 1.0 / 255)
        let statisticsWriter = writers.last!
        var progress = StageProgress(context, total: raw.train.labels.count + raw.test.labels.count, "images read")
        for (rawSplit, images) in [(TaskSplit.train, raw.train), (TaskSplit.test, raw.test)] {
            var routes: [Int: [(writer: ShardWriter, label: Int32, counts: Bool)]] = [:]
            for (plan, writer) in zip(plans, writers) {
                for (split, positions, labels) in plan.routes(from: rawSplit) {
                    for (position, label) in zip(positions, labels) {
                        routes[position, default: []].append((writer[split], label,
                                                              normalization == nil && writer === statisticsWriter && split == TaskSplit.train))
                    }
                }
            }
            let inputSize = images.shape.reduce(1, *)
            var output = [UInt8](repeating: 0, count: shape.reduce(1, *))
            try images.forEachChunk { first, pixels in
                defer { progress.advance(by: pixels.count / inputSize) }
                for k in 0 ..< pixels.count / inputSize {
                    guard let destinations = routes[first + k] else { continue }
                    try output.withUnsafeMutableBufferPointer { out in
                        transform.apply(pixels.baseAddress! + k * inputSize, into: out.baseAddress!)
                        for destination in destinations {
                            try destination.writer.append(UnsafeRawBufferPointer(out), labels: [destination.label])
                            if destination.counts { statistics.add(UnsafePointer(out.baseAddress!)) { Double($0) } }
                        }
                    }
                }
            }
        }
        let info = PreparedDataInfo(targetClasses: targetClasses.map { raw.classNames[$0] },
                                    sourceClasses: sourceClasses.map { raw.classNames[$0] },
                                    normalization: try normalization ?? statistics.normalization(),
                                    channels: shape[0], height: shape[1], width: shape[2],
                                    skippedImages: raw.skipped.isEmpty ? nil : raw.skipped)
        let targetManifest = try writers[0].finish()
        var outputs = try targetManifest.outputs(as: Self.targetOutput)
        outputs[Self.infoOutput] = try StageOutput.json(info)
        var sourceLine = ""
        if source != nil {
            let sourceManifest = try writers[1].finish()
            outputs.merge(try sourceManifest.outputs(as: Self.sourceOutput)) { $1 }
            sourceLine = "; source task: \(sourceManifest.splits[TaskSplit.train]!.count) train"
        }
        let counts = TaskSplit.all.map { targetManifest.splits[$0]!.count }
        context.message("target task: \(counts[0]) train, \(counts[1]) validation, \(counts[2]) test images" + sourceLine)
        if !raw.upscaled.isEmpty {
            context.message("warning: \(raw.upscaled.count) images are smaller than \(shape[2])x\(shape[1]) and were scaled up: "
                            + raw.upscaled.prefix(5).joined(separator: ", ") + (raw.upscaled.count > 5 ? ", …" : ""))
        }
        if !raw.skipped.isEmpty {
            context.message("skipped \(raw.skipped.count) unreadable images (skip_bad_images): "
                            + raw.skipped.prefix(5).map { "\($0.file) (\($0.reason))" }.joined(separator: "; ")
                            + (raw.skipped.count > 5 ? "; …" : "") + "; the full list is in the info output")
        }
        return StageResult(outputs: outputs, metrics: [
            MetricPoint(name: "skipped_images", step: 0, value: Double(raw.skipped.count)),
            MetricPoint(name: "upscaled_images", step: 0, value: Double(raw.upscaled.count)),
        ])
    }
}

/// Which raw images one task takes, and under which label: its classes relabelled, at most
/// `perClass` training images per class, a stratified validation split, the test set limited by
/// `test_per_class`. Decided from labels alone.
private struct TaskPlan {
    /// Positions in the raw training split, and their labels, of the task's train and validation splits.
    var train: (positions: [Int], labels: [Int32])
    var validation: (positions: [Int], labels: [Int32])
    /// Positions in the raw test split.
    var test: (positions: [Int], labels: [Int32])

    init(_ classes: [Int], perClass: Int, raw: RawDataset, parameters p: PreprocessStage.Parameters, random: CounterRandom) throws {
        let classCount = raw.classNames.count
        var pool = try LabelSelection.selecting(classes: classes, of: raw.train.labels, classCount: classCount)
        if perClass > 0 {
            let kept = try LabelSelection.limiting(pool.labels, classCount: classes.count, perClass: perClass, seed: random.bits(at: 0))
            pool = (kept.map { pool.positions[$0] }, kept.map { pool.labels[$0] })
        }
        let (kept, heldOut) = try LabelSelection.splitting(pool.labels, classCount: classes.count,
                                                           fraction: p.validationFraction, seed: random.bits(at: 1))
        train = (kept.map { pool.positions[$0] }, kept.map { pool.labels[$0] })
        validation = (heldOut.map { pool.positions[$0] }, heldOut.map { pool.labels[$0] })
        var testPool = try LabelSelection.selecting(classes: classes, of: raw.test.labels, classCount: classCount)
        if p.testPerClass > 0 {
            let kept = try LabelSelection.limiting(testPool.labels, classCount: classes.count, perClass: p.testPerClass,
                                                   seed: random.bits(at: 2))
            testPool = (kept.map { testPool.positions[$0] }, kept.map { testPool.labels[$0] })
        }
        test = testPool
    }

    /// The task splits fed from raw split `rawSplit` (train or test), with raw positions and labels.
    func routes(from rawSplit: String) -> [(split: String, positions: [Int], labels: [Int32])] {
        rawSplit == TaskSplit.train
            ? [(TaskSplit.train, train.positions, train.labels), (TaskSplit.validation, validation.positions, validation.labels)]
            : [(TaskSplit.test, test.positions, test.labels)]
    }
}

/// What preprocess does to each image on its way into a shard: grayscale copied to three channels,
/// resized (antialiased) to the declared side.
private struct ImageTransform {
    let inputShape: [Int]
    let outputShape: [Int]
    let grayscaleToRGB: Bool
    let resizeMode: ResizeMode

    init(_ p: PreprocessStage.Parameters, input: [Int], stage: String) throws {
        inputShape = input
        grayscaleToRGB = p.grayscaleToRgb
        if grayscaleToRGB && input[0] != 1 {
            throw DatasetError.invalidParameter("grayscale to RGB needs 1-channel images, these have \(input[0])")
        }
        let side = p.resize
        resizeMode = p.resizeMode
        outputShape = [grayscaleToRGB ? 3 : input[0], side > 0 ? side : input[1], side > 0 ? side : input[2]]
    }

    /// Writes the transformed `input` (CHW, `inputShape`) into `output` (CHW, `outputShape`).
    func apply(_ input: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) {
        let (height, width) = (outputShape[1], outputShape[2])
        let inPlane = inputShape[1] * inputShape[2], outPlane = height * width
        for c in 0..<inputShape[0] {
            if inputShape[1] == height && inputShape[2] == width {
                (output + c * outPlane).update(from: input + c * inPlane, count: outPlane)
            } else {
                ImageResampler.resizePlane(input + c * inPlane, width: inputShape[2], height: inputShape[1], to: width,
                                           mode: resizeMode, into: output + c * outPlane)
            }
        }
        if grayscaleToRGB {
            for c in 1..<3 { (output + c * outPlane).update(from: output, count: outPlane) }
        }
    }
}
