// A labelled image data set held in memory: N images of C×H×W pixels, Int32 labels, class names,
// and its conversion to the float32 NCHW layout the engine trains on.

/// N images of `channels × height × width` pixels with one label each.
///
/// Pixels are stored NCHW, raw `UInt8` as the readers and the generator produce them (so artifacts
/// stay small), or `Float` once `normalized(by:)` has been applied.
public struct ImageDataset: Sendable, Equatable {
    /// The pixel values of all images, image after image, each image channel-planar (CHW).
    public enum Pixels: Sendable, Equatable {
        case uint8([UInt8])
        case float32([Float])

        public var count: Int {
            switch self {
            case .uint8(let p): return p.count
            case .float32(let p): return p.count
            }
        }
    }

    public let channels: Int
    public let height: Int
    public let width: Int
    public let pixels: Pixels
    /// One label per image, each in `0..<classNames.count`.
    public let labels: [Int32]
    public let classNames: [String]

    /// Fails when the pixel count is not `labels.count × C × H × W` or a label names no class.
    public init(channels: Int, height: Int, width: Int, pixels: Pixels, labels: [Int32],
                classNames: [String]) throws {
        let expected = labels.count * channels * height * width
        guard pixels.count == expected else {
            throw DatasetError.shapeMismatch(
                "\(pixels.count) pixel values for \(labels.count) images of \(channels)x\(height)x\(width)"
                + " (expected \(expected))")
        }
        if let bad = labels.first(where: { $0 < 0 || Int($0) >= classNames.count }) {
            throw DatasetError.shapeMismatch(
                "label \(bad) is outside 0..<\(classNames.count) (the class names given)")
        }
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// Values per image: C × H × W.
    public var imageSize: Int { channels * height * width }

    /// How many images each class has, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }

    /// The pixels as float32 NCHW with `normalization` applied per channel.
    public func floatPixels(normalization: Normalization = .none) throws -> [Float] {
        try normalization.check(channels: channels)
        let plane = height * width
        var out = [Float](repeating: 0, count: pixels.count)
        func apply<T>(_ values: UnsafeBufferPointer<T>, into out: UnsafeMutableBufferPointer<Float>,
                      _ toFloat: (T) -> Float) {
            for image in 0..<count {
                for c in 0..<channels {
                    let start = (image * channels + c) * plane
                    normalization.convert(values.baseAddress! + start, count: plane, channel: c,
                                          into: out.baseAddress! + start, toFloat)
                }
            }
        }
        guard count > 0 else { return out }
        out.withUnsafeMutableBufferPointer { target in
            switch pixels {
            case .uint8(let p): p.withUnsafeBufferPointer { apply($0, into: target) { Float($0) } }
            case .float32(let p): p.withUnsafeBufferPointer { apply($0, into: target) { $0 } }
            }
        }
        return out
    }

    /// The same images with float pixels normalised by `normalization`.
    public func normalized(by normalization: Normalization) throws -> ImageDataset {
        ImageDataset(trusted: self, pixels: .float32(try floatPixels(normalization: normalization)),
                     labels: labels)
    }

    /// Builds a data set from parts already known to be consistent with `shape`'s dimensions.
    package init(trusted shape: ImageDataset, pixels: Pixels, labels: [Int32]) {
        self.channels = shape.channels
        self.height = shape.height
        self.width = shape.width
        self.pixels = pixels
        self.labels = labels
        self.classNames = shape.classNames
    }
}
