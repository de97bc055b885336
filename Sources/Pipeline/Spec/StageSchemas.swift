// The parameters and inputs of every stage kind, in one place, so a pipeline file states only what
// differs from these defaults. Stage implementations read the resolved values via StageParameters.
import Engine

private let optimizers: ParameterType = .choice(["adam", "sgd", "adamw"])
private let heads: ParameterType = .choice(["linear", "study-optimized", "study-frozen"])
private let positiveRate: ParameterType = .float(1e-8...10)
private let epochs: ParameterType = .int(0...10_000)
private let batch: ParameterType = .int(1...65_536)
private let classes: ParameterType = .ints(0...9_999)
private let count: ParameterType = .int(0...100_000_000)
private let validationMetrics = ["val_accuracy", "val_loss"]

/// The size bound of each stored shard of a data set.
private func shardSize(_ what: String) -> ParameterSpec {
    ParameterSpec("shard_mib", .int(1...1024), .value(.int(64)), "\(what): size bound of each stored shard, in MiB")
}

/// Parameters every training stage shares, with the stage's own default epochs.
private func training(epochs defaultEpochs: Int) -> [ParameterSpec] {
    [
        ParameterSpec("epochs", epochs, .value(.int(defaultEpochs)), "maximum number of passes over the training set"),
        ParameterSpec("batch", batch, .value(.int(64)), "images per mini-batch"),
        ParameterSpec("last_batch", .choice(LastBatch.allCases.map(\.rawValue)), .value(.string(LastBatch.keep.rawValue)),
                      inKeyAtDefault: false,
                      "images left over when batch does not divide the training split: a smaller last batch (keep), left out (drop), or folded into the batch before (merge)"),
        ParameterSpec("optimizer", optimizers, .value(.string("adam")), "update rule"),
        ParameterSpec("lr", positiveRate, .value(.float(1e-3)), "initial learning rate"),
        ParameterSpec("momentum", .float(0...0.9999), .value(.float(0.9)), "SGD momentum (sgd only)"),
        ParameterSpec("weight_decay", .float(0...1), .value(.float(0)), "L2 penalty (decoupled for adamw)"),
        ParameterSpec("augment", .bool, .value(.bool(false)), "random crop with padding and horizontal flip"),
        ParameterSpec("precise_bn", .bool, .value(.bool(false)),
                      "recompute BatchNorm statistics over fixed training batches before each validation (precise BN)"),
        ParameterSpec("precise_bn_batches", .int(1...100_000), .value(.int(16)),
                      "training batches precise BN averages over (all full batches when there are fewer)"),
        ParameterSpec("seed", .int(0...Int(Int32.max)), .pipelineSeed, "shuffling, initialisation and augmentation seed"),
    ]
}

extension StageSchema {
    /// The schema of `kind`.
    public static func of(_ kind: StageKind) -> StageSchema { schemas[kind]! }

    private static let schemas: [StageKind: StageSchema] = Dictionary(uniqueKeysWithValues: [
        download, preprocess, pretrain, freeze, finetune, evaluate, export, report,
    ].map { ($0.kind, $0) })

    static let download = StageSchema(kind: .download, parameters: [
        ParameterSpec("source", .choice(["cifar10", "fashion-mnist", "synthetic", "url", "path", "image-folder"]), .required,
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
        shardSize("synthetic and image-folder"),
        // Limits on hostile or mistaken input: they change what is refused, never what is produced.
        ParameterSpec("max_download_mib", .int(1...16 << 20), .value(.int(Int(Downloader.defaultMaxBytes >> 20))), inKey: false,
                      "largest file a url download may fetch, in MiB (a longer body is refused)"),
        ParameterSpec("max_unpacked_mib", .int(1...16 << 20), .value(.int(Int(UnpackLimits.defaults.maxTotalBytes >> 20))),
                      inKey: false, "image-folder: most an archive may unpack to, in MiB"),
        ParameterSpec("max_unpack_ratio", .int(1...1_000_000), .value(.int(Int(UnpackLimits.defaults.maxRatio))), inKey: false,
                      "image-folder: most an archive may unpack to as a multiple of its own size (beyond its first 16 MiB)"),
    ], ports: [], requirements: [
        Requirement(parameter: "source", value: .string("url"), needs: ["url", "sha256"]),
        Requirement(parameter: "source", value: .string("path"), needs: ["path", "sha256"]),
    ])

    static let preprocess = StageSchema(kind: .preprocess, parameters: [
        ParameterSpec("source_classes", classes, .value(.ints([])),
                      "classes of the source (pretraining) task, relabelled 0..n-1; empty when pretrain imports weights"),
        ParameterSpec("target_classes", classes, .value(.ints([])),
                      "classes of the target (fine-tuning) task, relabelled 0..n-1; empty for every class"),
        ParameterSpec("per_class", count, .value(.int(0)), "labelled target training images per class (0: all)"),
        ParameterSpec("source_per_class", count, .value(.int(0)), "source training images per class (0: all)"),
        ParameterSpec("test_per_class", count, .value(.int(0)), "test images per class, both tasks (0: all)"),
        ParameterSpec("validation_fraction", .float(0...0.9), .value(.float(0.1)),
                      "share of training images held out for validation (0: validate on the test set, as the study did)"),
        ParameterSpec("normalize", .choice(["dataset", "imagenet", "none"]), .value(.string("dataset")),
                      "per-channel mean/std: the data set's own, ImageNet's, or none"),
        ParameterSpec("grayscale_to_rgb", .bool, .value(.bool(false)), "repeat a single channel three times"),
        ParameterSpec("resize", .int(0...1024), .value(.int(0)),
                      "side of the square every image is resized to when stored, antialiased (0: keep)"),
        ParameterSpec("resize_mode", .choice(ResizeMode.allCases.map(\.rawValue)), .value(.string(ResizeMode.crop.rawValue)),
                      "non-square images: crop (shorter side to size, centre kept) or stretch"),
        ParameterSpec("skip_bad_images", .bool, .value(.bool(false)),
                      "image-folder: leave out (and list) images that cannot be decoded instead of failing"),
        ParameterSpec("seed", .int(0...Int(Int32.max)), .pipelineSeed, "subset and split seed"),
        shardSize("images"),
    ], ports: [PortSpec("raw", [.download])], requirements: [])

    static let pretrain = StageSchema(kind: .pretrain, parameters: [
        ParameterSpec("model", .choice(["densenet-bc", "densenet-121"]), .value(.string("densenet-bc")), "backbone family"),
        ParameterSpec("depth", .int(4...250), .value(.int(40)), "densenet-bc: total depth (3n·blocks + 4 with bottlenecks)"),
        ParameterSpec("growth", .int(1...256), .value(.int(12)), "densenet-bc: channels each dense layer adds"),
        ParameterSpec("blocks", .int(1...6), .value(.int(3)), "densenet-bc: number of dense blocks"),
        ParameterSpec("compression", .float(0.05...1), .value(.float(0.5)), "densenet-bc: channel share kept by transitions"),
        ParameterSpec("bottleneck", .bool, .value(.bool(true)), "densenet-bc: 1x1 bottleneck to 4·growth before each 3x3"),
        ParameterSpec("stem", .choice(["auto", "small", "imagenet"]), .value(.string("auto")),
                      "first layers: 3x3 conv (small), 7x7/2 conv + max pool (imagenet), or by input size"),
        ParameterSpec("input_size", .int(0...1024), .value(.int(0)), "bilinear resize inside the model (0: the data's size)"),
        ParameterSpec("head", heads, .value(.string("linear")), "temporary head for the source task"),
        ParameterSpec("pooling", .choice(["avg", "max"]), .value(.string("avg")), "global pooling of a linear temporary head"),
        ParameterSpec("weights", .string, .absent, "safetensors path or URL to import instead of training"),
        ParameterSpec("weights_sha256", .string, .absent,
                      "expected SHA-256 of the imported weights; without it the first run pins what it fetched"),
    ] + training(epochs: 10), ports: [
        PortSpec("data", [.preprocess], unless: ("weights", nil)),
    ], requirements: [])

    static let freeze = StageSchema(kind: .freeze, parameters: [
        ParameterSpec("freeze", .choice(["none", "backbone", "up-to:<layer>"]), .value(.string("none")),
                      "what stays fixed: nothing, the whole backbone, or everything up to a named block/layer"),
        ParameterSpec("cache_features", .bool, .value(.bool(true)),
                      "with the whole backbone frozen, run it once and store the features"),
        ParameterSpec("batch", batch, .value(.int(64)), inKey: false, "images per inference batch when caching features"),
        shardSize("cached features"),
    ], ports: [
        PortSpec("backbone", [.pretrain]), PortSpec("data", [.preprocess]),
    ], requirements: [])

    static let finetune = StageSchema(kind: .finetune, parameters: [
        ParameterSpec("init", .choice(["random", "pretrained"]), .value(.string("pretrained")), "backbone initialisation"),
        ParameterSpec("head", heads, .value(.string("linear")), "classifier head preset"),
        ParameterSpec("pooling", .choice(["avg", "max"]), .value(.string("avg")),
                      "global pooling of a linear head (study-optimized max-pools, study-frozen flattens)"),
        ParameterSpec("reduce_lr_patience", .int(0...1000), .value(.int(0)), "epochs without improvement before lowering lr (0: off)"),
        ParameterSpec("reduce_lr_factor", .float(0.001...0.999), .value(.float(0.1)), "lr multiplier on a plateau"),
        ParameterSpec("min_lr", .float(0...10), .value(.float(0)), "lr floor for plateau reductions"),
        ParameterSpec("early_stopping_patience", .int(0...1000), .value(.int(0)), "epochs without improvement before stopping (0: off)"),
        ParameterSpec("monitor", .choice(validationMetrics), .value(.string("val_accuracy")),
                      "metric the best epoch is selected on (ties go to the better of the other one), and the default of the two below"),
        ParameterSpec("reduce_lr_monitor", .choice(validationMetrics), .absent,
                      "metric whose plateau lowers the learning rate (Keras's default: val_loss); absent: monitor"),
        ParameterSpec("early_stopping_monitor", .choice(validationMetrics), .absent,
                      "metric whose plateau stops training (Keras's default: val_loss); absent: monitor"),
        ParameterSpec("restore_best", .bool, .value(.bool(true)), "end with the weights of the best monitored epoch"),
        ParameterSpec("label_smoothing", .float(0...0.5), .value(.float(0)), "cross-entropy label smoothing"),
        ParameterSpec("checkpoint_every", .int(1...1000), .value(.int(1)), inKey: false, "epochs between resumable checkpoints"),
    ] + training(epochs: 10), ports: [
        PortSpec("backbone", [.freeze, .pretrain], unless: ("init", .string("random")),
                 readsOnly: ("init", .string("random"), [PretrainStage.architectureOutput])),
        PortSpec("data", [.preprocess]),
    ], requirements: [])

    static let evaluate = StageSchema(kind: .evaluate, parameters: [
        ParameterSpec("batch", batch, .value(.int(128)), inKey: false, "images per inference batch"),
    ], ports: [
        PortSpec("model", [.finetune]), PortSpec("data", [.preprocess]),
    ], requirements: [])

    static let export = StageSchema(kind: .export, parameters: [], ports: [
        PortSpec("model", [.finetune]), PortSpec("data", [.preprocess]),
    ], requirements: [])

    static let report = StageSchema(kind: .report, parameters: [
        ParameterSpec("title", .string, .absent, "heading of report.md (default: the pipeline's name)"),
        ParameterSpec("study", .bool, .value(.bool(false)), "show the study's published figures beside ours"),
    ], ports: [
        PortSpec("evaluations", [.evaluate], many: true),
    ], requirements: [])
}
