// The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic, dimensions) then raw uint8
// data, usually gzipped; and where Fashion-MNIST keeps its four files.
import Foundation

/// Reads an IDX image file (magic 0x00000803, dims N×rows×cols) and label file (magic 0x00000801,
/// dim N) into one grayscale `ImageDataset`. Each file may be gzipped or plain.
public enum IDXReader {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// The images of `imagesFile` labelled by `labelsFile`; each label must index `classNames`.
    public static func read(imagesFile: String, labelsFile: String,
                            classNames: [String]) throws -> ImageDataset {
        let images = try body(of: imagesFile, magic: imagesMagic, dimensions: 3)
        let labels = try body(of: labelsFile, magic: labelsMagic, dimensions: 1)
        let count = images.dimensions[0], height = images.dimensions[1], width = images.dimensions[2]
        guard count == labels.dimensions[0] else {
            throw DatasetError.countMismatch(images: imagesFile, imageCount: count,
                                             labels: labelsFile, labelCount: labels.dimensions[0])
        }
        let labelValues = labels.data.map { Int32($0) }
        if let bad = labelValues.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError.badLayout(file: labelsFile, detail: "label \(labelValues[bad]) of item \(bad)"
                                         + " is not below the \(classNames.count) classes")
        }
        return try ImageDataset(channels: 1, height: height, width: width, pixels: .uint8(Array(images.data)),
                                labels: labelValues, classNames: classNames)
    }

    /// The header dimensions and the data of an IDX file with the given magic and rank.
    private static func body(of file: String, magic: UInt32,
                             dimensions rank: Int) throws -> (dimensions: [Int], data: Data) {
        let bytes = try readMaybeGzipped(file)
        let headerSize = 4 + 4 * rank
        // The magic first: a label file given as images is then reported as such, not as too short.
        if bytes.count >= 4, case let found = bigEndianUInt32(bytes, at: 0), found != magic {
            throw DatasetError.badMagic(file: file, expected: magic, found: found)
        }
        guard bytes.count >= headerSize else {
            throw DatasetError.badLayout(file: file, detail: "\(bytes.count) bytes is shorter than the"
                                         + " \(headerSize)-byte IDX header")
        }
        let dimensions = (0..<rank).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        let expected = headerSize + dimensions.reduce(1, *)
        guard bytes.count == expected else {
            let dims = dimensions.map(String.init).joined(separator: "x")
            throw DatasetError.badLayout(file: file, detail: "header declares \(dims) items, so the file"
                                         + " should be \(expected) bytes, but it is \(bytes.count)")
        }
        return (dimensions, bytes.subdata(in: bytes.startIndex + headerSize ..< bytes.endIndex))
    }

    private static func bigEndianUInt32(_ bytes: Data, at offset: Int) -> UInt32 {
        let i = bytes.startIndex + offset
        return bytes[i ..< i + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// The file contents, decompressed when they start with the gzip magic number.
func readMaybeGzipped(_ file: String) throws -> Data {
    if Gzip.isGzip(fileAt: file) { return try Gzip.decompress(fileAt: file) }
    guard let data = FileManager.default.contents(atPath: file) else {
        throw DatasetError.unreadable(file: file, reason: "no such file or no permission")
    }
    return data
}

/// Fashion-MNIST (Zalando Research): 28x28 grayscale clothing images, 60,000 train and 10,000 test.
public enum FashionMNIST {
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The four file names, as the publisher and Debian's `dataset-fashion-mnist` name them.
    public static let trainImages = "train-images-idx3-ubyte.gz"
    public static let trainLabels = "train-labels-idx1-ubyte.gz"
    public static let testImages = "t10k-images-idx3-ubyte.gz"
    public static let testLabels = "t10k-labels-idx1-ubyte.gz"

    /// The training and test sets from a directory holding the four files.
    public static func read(directory: String) throws -> (train: ImageDataset, test: ImageDataset) {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        return (try IDXReader.read(imagesFile: path(trainImages), labelsFile: path(trainLabels),
                                   classNames: classNames),
                try IDXReader.read(imagesFile: path(testImages), labelsFile: path(testLabels),
                                   classNames: classNames))
    }
}
