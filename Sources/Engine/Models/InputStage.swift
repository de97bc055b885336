// What happens to a batch before the backbone: channel expansion, resizing and normalisation, done
// inside the model as the study did (its 32x32 images were resized to 155x155 in the graph).

/// The model's input stage. Applied in this order: grayscale to RGB, bilinear resize, normalisation.
public struct InputStage: Equatable, Sendable {
    /// Repeat a single input channel three times (Fashion-MNIST into an ImageNet backbone).
    public var grayscaleToRGB: Bool
    /// Bilinear resize (TensorFlow half-pixel semantics) to this size.
    public var resize: ImageSize?
    /// Per-channel `(x − mean) / std` after resizing; `nil` leaves values as they are.
    public var normalization: Normalization?

    /// Per-channel mean and standard deviation.
    public struct Normalization: Equatable, Sendable {
        public var mean: [Float]
        public var std: [Float]

        public init(mean: [Float], std: [Float]) {
            self.mean = mean
            self.std = std
        }

        /// ImageNet statistics, as Keras `densenet.preprocess_input` (mode "torch") uses them on
        /// inputs scaled to [0, 1].
        public static let imagenet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    }

    public init(grayscaleToRGB: Bool = false, resize: ImageSize? = nil, normalization: Normalization? = nil) {
        self.grayscaleToRGB = grayscaleToRGB
        self.resize = resize
        self.normalization = normalization
    }

    /// Does nothing: the data set is fed to the backbone as it is.
    public static let identity = InputStage()

    /// The study's input stage: ImageNet normalisation and a resize to 155x155.
    public static let study = InputStage(resize: ImageSize(height: 155, width: 155), normalization: .imagenet)

    /// The [C, H, W] shape the backbone sees for inputs of `shape`.
    public func outputShape(for shape: [Int]) throws -> [Int] {
        var out = shape
        if grayscaleToRGB {
            guard shape[0] == 1 else {
                throw ModelError.invalidConfig(field: "input.grayscaleToRGB", value: "true for \(shape[0]) channels",
                                               expected: "a 1-channel input")
            }
            out[0] = 3
        }
        if let size = resize {
            guard size.height > 0, size.width > 0 else {
                throw ModelError.invalidConfig(field: "input.resize", value: "\(size.height)x\(size.width)",
                                               expected: "a positive height and width")
            }
            out[1] = size.height
            out[2] = size.width
        }
        if let n = normalization, n.mean.count != out[0] || n.std.count != out[0] || n.std.contains(where: { $0 <= 0 }) {
            throw ModelError.invalidConfig(field: "input.normalization", value: "mean \(n.mean), std \(n.std)",
                                           expected: "\(out[0]) means and \(out[0]) positive standard deviations")
        }
        return out
    }
}

/// A height and width in pixels.
public struct ImageSize: Equatable, Sendable {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
}

extension InputStage {
    /// Appends the input stage's rows (none for the identity) for images of `table.shape`.
    func describe(into table: inout LayerTable) throws {
        let input = table.shape, output = try outputShape(for: input)
        if grayscaleToRGB { try table.add("input.grayscale", "GrayscaleToRGB", output: [3, input[1], input[2]]) }
        if let size = resize { try table.add("input.resize", "Resize bilinear", output: [output[0], size.height, size.width]) }
        if normalization != nil { try table.add("input.normalize", "Normalize", output: output) }
    }
}
