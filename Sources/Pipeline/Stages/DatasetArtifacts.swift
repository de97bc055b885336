// Data sets as stage artifacts: images as uint8 [N, C, H, W] and labels as int32 [N] under a split's
// prefix, the JSON that describes a prepared data set, and the float examples the engine trains on.
import Engine
import Foundation
import Store

/// What preprocess records beside its tensors: class names of both tasks, the normalisation every
/// later stage applies, and the image shape.
struct PreparedDataInfo: Codable, Equatable {
    var targetClasses: [String]
    /// Empty when the pipeline has no source task (pretrain imports weights).
    var sourceClasses: [String]
    var normalization: Normalization
    var channels: Int
    var height: Int
    var width: Int

    var imageShape: [Int] { [channels, height, width] }
}

/// The three splits of one task.
struct TaskSplits {
    var train: ImageDataset
    var validation: ImageDataset
    var test: ImageDataset

    static let names = ["train", "validation", "test"]

    var tensors: TensorArchive {
        get throws {
            TensorArchive(tensors: try train.namedTensors("train") + validation.namedTensors("validation")
                + test.namedTensors("test"))
        }
    }

    init(train: ImageDataset, validation: ImageDataset, test: ImageDataset) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// The splits stored as `tensors`, labelled with `classNames`.
    init(_ archive: TensorArchive, classNames: [String]) throws {
        train = try ImageDataset(archive, prefix: "train", classNames: classNames)
        validation = try ImageDataset(archive, prefix: "validation", classNames: classNames)
        test = try ImageDataset(archive, prefix: "test", classNames: classNames)
    }

    /// What training validates on: the validation split, or the test set when there is none (as the
    /// study did, with `validation_fraction: 0`).
    var validationOrTest: ImageDataset { validation.count > 0 ? validation : test }
}

extension ImageDataset {
    /// `<prefix>_images` and `<prefix>_labels`; pixels must still be uint8.
    func namedTensors(_ prefix: String) throws -> [NamedTensor] {
        guard case .uint8(let pixels) = pixels else {
            throw DatasetError.invalidParameter("only uint8 images are stored as artifacts")
        }
        return [NamedTensor(name: prefix + "_images", shape: [count, channels, height, width], uint8: pixels),
                NamedTensor(name: prefix + "_labels", int32: labels)]
    }

    /// The split stored under `prefix` in `archive`.
    init(_ archive: TensorArchive, prefix: String, classNames: [String]) throws {
        let images = try archive.require(prefix + "_images")
        guard images.shape.count == 4 else {
            throw DatasetError.shapeMismatch("\(prefix)_images has shape \(images.shape), expected [N, C, H, W]")
        }
        try self.init(channels: images.shape[1], height: images.shape[2], width: images.shape[3],
                      pixels: .uint8(try images.uint8Values()), labels: try archive.require(prefix + "_labels").int32Values(),
                      classNames: classNames)
    }

    /// The images as float examples, normalised, for the engine.
    func examples(_ normalization: Normalization) throws -> LabeledExamples {
        LabeledExamples(inputs: Tensor(shape: [count, channels, height, width], values: try floatPixels(normalization: normalization)),
                        labels: labels.map(Int.init))
    }

    /// Every image resized to `side`×`side` (bilinear, as the engine's resize layer), rounded back to uint8.
    func resized(to side: Int) throws -> ImageDataset {
        guard side != height || side != width else { return self }
        let resize = Resize(name: "preprocess.resize", height: side, width: side)
        let input = Tensor(shape: [count, channels, height, width], values: try floatPixels())
        let output = resize.forward(input, context: .inference)
        let pixels = output.buffer.map { UInt8(min(max($0.rounded(), 0), 255)) }
        return try ImageDataset(channels: channels, height: side, width: side, pixels: .uint8(pixels), labels: labels,
                                classNames: classNames)
    }
}
