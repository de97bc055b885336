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
    func check(channels: Int) throws {
        guard isChannelIndependent || mean.count == channels else {
            throw DatasetError.invalidParameter(
                "normalisation has \(mean.count) channels but the images have \(channels)"
                + (mean.count == 3 && channels == 1 ? "; expand grayscale to 3 channels first" : ""))
        }
    }

    /// The mean of channel `c` (the only one when the normalisation is channel independent).
    func mean(_ c: Int) -> Float { isChannelIndependent ? mean[0] : mean[c] }

    /// The std of channel `c`.
    func std(_ c: Int) -> Float { isChannelIndependent ? std[0] : std[c] }
}

extension ImageDataset {
    /// Per-channel mean and std of the pixels scaled to [0, 1]: normalising this data set by the
    /// result gives each channel mean 0 and std 1. Compute it on the training split only.
    public func channelStatistics() throws -> Normalization {
        let plane = height * width
        var sum = [Double](repeating: 0, count: channels)
        var sumSquares = [Double](repeating: 0, count: channels)
        func accumulate<T>(_ values: [T], _ toDouble: (T) -> Double) {
            values.withUnsafeBufferPointer { buffer in
                for image in 0..<count {
                    for c in 0..<channels {
                        let start = (image * channels + c) * plane
                        var s = 0.0, s2 = 0.0
                        for i in start ..< start + plane {
                            let x = toDouble(buffer[i])
                            s += x
                            s2 += x * x
                        }
                        sum[c] += s
                        sumSquares[c] += s2
                    }
                }
            }
        }
        let scale: Double
        switch pixels {
        case .uint8(let p): accumulate(p) { Double($0) }; scale = 1.0 / 255
        case .float32(let p): accumulate(p) { Double($0) }; scale = 1
        }
        let n = Double(count * plane)
        guard n > 0 else { throw DatasetError.invalidParameter("statistics of an empty data set") }
        let mean = sum.map { $0 / n }
        let std = zip(sumSquares, mean).map { s2, m in max(s2 / n - m * m, 0).squareRoot() }
        // A constant channel has std 0; dividing by 1 instead keeps it finite (and centred).
        return try Normalization(scale: Float(scale), mean: mean.map { Float($0 * scale) },
                                 std: std.map { $0 > 0 ? Float($0 * scale) : 1 })
    }
}
