// Per-channel pixel normalisation: none, the ImageNet statistics the study used, or a data set's own.

/// Maps a pixel `x` of channel `c` to `(x · scale − mean[c]) / std[c]`.
///
/// `scale` is 1/255 for every normalisation that works in [0, 1] units (ImageNet's, a data set's own
/// statistics, plain unit range) and 1 for `.none`, which keeps raw 0…255 values.
public struct Normalization: Sendable, Equatable, Codable {
    public let scale: Float
    public let mean: [Float]
    public let std: [Float]

    /// Fails unless `mean` and `std` have one entry per channel and every std is positive.
    public init(scale: Float, mean: [Float], std: [Float]) throws {
        guard mean.count == std.count, !mean.isEmpty else {
            throw DatasetError.invalidParameter(
                "normalisation needs one mean and one std per channel (got \(mean.count) means,"
                + " \(std.count) stds)")
        }
        if let bad = std.first(where: { !($0 > 0) }) {
            throw DatasetError.invalidParameter("normalisation std \(bad) must be positive")
        }
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    private enum CodingKeys: String, CodingKey { case scale, mean, std }

    /// Decodes and validates like `init(scale:mean:std:)`, so a stored normalisation is never invalid.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(scale: container.decode(Float.self, forKey: .scale),
                      mean: container.decode([Float].self, forKey: .mean),
                      std: container.decode([Float].self, forKey: .std))
    }

    private init(uncheckedScale scale: Float, mean: [Float], std: [Float]) {
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    /// Raw pixel values as floats (0…255 for images read from disk).
    public static let none = Normalization(uncheckedScale: 1, mean: [0], std: [1])

    /// Pixel values scaled to [0, 1].
    public static let unitRange = Normalization(uncheckedScale: 1 / 255, mean: [0], std: [1])

    /// Scale to [0, 1], then ImageNet's per-channel mean and std, as Keras' `densenet.preprocess_input`.
    public static let imageNet = Normalization(uncheckedScale: 1 / 255, mean: [0.485, 0.456, 0.406],
                                               std: [0.229, 0.224, 0.225])

    /// True when the statistics are the same for every channel (`.none`, `.unitRange`).
    var isChannelIndependent: Bool { mean.count == 1 }

    /// Statistics for exactly `channels` channels: single-entry ones are repeated.
    package func check(channels: Int) throws {
        guard isChannelIndependent || mean.count == channels else {
            throw DatasetError.invalidParameter(
                "normalisation has \(mean.count) channels but the images have \(channels)"
                + (mean.count == 3 && channels == 1 ? "; expand grayscale to 3 channels first" : ""))
        }
    }

    /// The mean of channel `c` (the only one when the normalisation is channel independent).
    package func mean(_ c: Int) -> Float { isChannelIndependent ? mean[0] : mean[c] }

    /// The std of channel `c`.
    package func std(_ c: Int) -> Float { isChannelIndependent ? std[0] : std[c] }

    /// Writes `count` values of channel `c` normalised: (x·scale − mean) / std as one multiply-add per
    /// value. Every path from stored pixels to the engine's floats goes through here, so a batch
    /// gathered from disk holds exactly the floats of the whole set converted in memory.
    @inline(__always)
    package func convert<T>(_ values: UnsafePointer<T>, count: Int, channel c: Int, into out: UnsafeMutablePointer<Float>,
                    _ toFloat: (T) -> Float) {
        let factor = scale / std(c)
        let offset = -mean(c) / std(c)
        for i in 0..<count { out[i] = toFloat(values[i]) * factor + offset }
    }
}

/// Per-channel sums of pixels seen image by image, in order: the mean and std `normalize: dataset`
/// uses, computed without holding the images.
package struct ChannelStatistics {
    package let channels: Int
    package let plane: Int
    /// 1/255 for uint8 pixels (statistics in [0, 1] units), 1 for floats.
    package let scale: Double
    private var sum: [Double]
    private var sumSquares: [Double]
    private var images = 0

    package init(channels: Int, plane: Int, scale: Double) {
        self.channels = channels
        self.plane = plane
        self.scale = scale
        sum = [Double](repeating: 0, count: channels)
        sumSquares = sum
    }

    /// Adds one CHW image.
    package mutating func add<T>(_ image: UnsafePointer<T>, _ toDouble: (T) -> Double) {
        for c in 0..<channels {
            var s = 0.0, s2 = 0.0
            for i in c * plane ..< (c + 1) * plane {
                let x = toDouble(image[i])
                s += x
                s2 += x * x
            }
            sum[c] += s
            sumSquares[c] += s2
        }
        images += 1
    }

    /// The normalisation that gives every channel of the images seen mean 0 and std 1.
    package func normalization() throws -> Normalization {
        let n = Double(images * plane)
        guard n > 0 else { throw DatasetError.invalidParameter("statistics of an empty data set") }
        let mean = sum.map { $0 / n }
        let std = zip(sumSquares, mean).map { s2, m in max(s2 / n - m * m, 0).squareRoot() }
        // A constant channel has std 0; dividing by 1 instead keeps it finite (and centred).
        return try Normalization(scale: Float(scale), mean: mean.map { Float($0 * scale) },
                                 std: std.map { $0 > 0 ? Float($0 * scale) : 1 })
    }
}

extension ImageDataset {
    /// Per-channel mean and std of the pixels scaled to [0, 1]: normalising this data set by the
    /// result gives each channel mean 0 and std 1. Compute it on the training split only.
    public func channelStatistics() throws -> Normalization {
        let plane = height * width
        func statistics<T>(_ values: [T], scale: Double, _ toDouble: (T) -> Double) throws -> Normalization {
            var statistics = ChannelStatistics(channels: channels, plane: plane, scale: scale)
            values.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for image in 0..<count { statistics.add(base + image * channels * plane, toDouble) }
            }
            return try statistics.normalization()
        }
        switch pixels {
        case .uint8(let p): return try statistics(p, scale: 1.0 / 255) { Double($0) }
        case .float32(let p): return try statistics(p, scale: 1) { Double($0) }
        }
    }
}
