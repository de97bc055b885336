// The shape of a DenseNet: DenseNet-121 as Keras and torchvision build it, and DenseNet-BC for small
// inputs (Huang et al. 2016; the `liuzhuang13/DenseNet` CIFAR code).

/// Everything that fixes a DenseNet backbone's layers and parameter shapes.
public struct DenseNetConfig: Equatable, Sendable {
    /// The layers before the first dense block.
    public enum Stem: Equatable, Sendable {
        /// ImageNet stem: zero-pad 3 → 7x7/2 conv → BN → ReLU → zero-pad 1 → 3x3/2 max pool.
        case imagenet
        /// Small-input stem (28x28, 32x32): one 3x3/1 conv with padding 1, no BN, no pooling.
        case small
    }

    /// Channels each dense layer adds (k).
    public var growthRate: Int
    /// Dense layers per block; transitions sit between consecutive blocks.
    public var blockSizes: [Int]
    /// Channels the stem produces (2k in both reference codes).
    public var initialChannels: Int
    /// Output channels of each layer's 1x1 bottleneck conv (4k).
    public var bottleneckChannels: Int
    /// A transition keeps `floor(channels · compression)` channels.
    public var compression: Double
    public var stem: Stem
    /// How convolution weights start when not loaded: Keras's Glorot uniform for DenseNet-121, He
    /// normal over the fan-out for DenseNet-BC (`liuzhuang13/DenseNet`).
    public var convolutionInit: WeightInit
    /// BatchNorm ε for every backbone BN (Keras DenseNet: 1.001e-5; DenseNet-BC as its Torch
    /// reference: 1e-5).
    public var batchNormEpsilon: Float
    /// Fraction of the running statistics kept per training step (Keras DenseNet: 0.99; DenseNet-BC
    /// as its Torch reference, PyTorch momentum 0.1: 0.9). The short trainings DenseNet-BC is used for
    /// need the faster one: at 0.99 the running statistics are still far from the batch statistics
    /// after a few hundred steps, and inference-mode accuracy lags training accuracy badly.
    public var batchNormMomentum: Float

    public init(growthRate: Int, blockSizes: [Int], initialChannels: Int, bottleneckChannels: Int,
                compression: Double, stem: Stem, convolutionInit: WeightInit = .glorotUniform,
                batchNormEpsilon: Float = 1.001e-5,
                batchNormMomentum: Float = 0.99) {
        self.growthRate = growthRate
        self.blockSizes = blockSizes
        self.initialChannels = initialChannels
        self.bottleneckChannels = bottleneckChannels
        self.compression = compression
        self.stem = stem
        self.convolutionInit = convolutionInit
        self.batchNormEpsilon = batchNormEpsilon
        self.batchNormMomentum = batchNormMomentum
    }

    /// DenseNet-121: growth 32, blocks 6/12/24/16, bottleneck 128, compression 0.5, ImageNet stem.
    public static let densenet121 = DenseNetConfig(growthRate: 32, blockSizes: [6, 12, 24, 16],
                                                   initialChannels: 64, bottleneckChannels: 128,
                                                   compression: 0.5, stem: .imagenet)

    /// DenseNet-BC of `depth` for small inputs: `blocks` blocks of (depth − blocks − 1) / (2·blocks)
    /// bottleneck layers each (the stem conv, the transitions and the classifier make up the rest of
    /// the depth), a 3x3 stem to 2k channels, and bottlenecks of `bottleneckFactor`·k channels.
    /// DenseNet-BC-40-12 is `bc(depth: 40, growthRate: 12)`: three blocks of 6 layers.
    public static func bc(depth: Int, growthRate: Int, blocks: Int = 3, compression: Double = 0.5,
                          bottleneckFactor: Int = 4) throws -> DenseNetConfig {
        guard blocks > 0 else {
            throw ModelError.invalidConfig(field: "blocks", value: "\(blocks)", expected: "at least 1")
        }
        let convLayers = depth - blocks - 1
        guard convLayers > 0, convLayers % (2 * blocks) == 0 else {
            throw ModelError.invalidConfig(
                field: "depth", value: "\(depth)",
                expected: "\(blocks) + 1 + a positive multiple of \(2 * blocks) for \(blocks) blocks, e.g. "
                    + (1...3).map { String(blocks + 1 + 2 * blocks * $0) }.joined(separator: ", "))
        }
        let config = DenseNetConfig(growthRate: growthRate,
                                    blockSizes: Array(repeating: convLayers / (2 * blocks), count: blocks),
                                    initialChannels: 2 * growthRate,
                                    bottleneckChannels: bottleneckFactor * growthRate,
                                    compression: compression, stem: .small, convolutionInit: .heNormalFanOut,
                                    batchNormEpsilon: 1e-5, batchNormMomentum: 0.9)
        try config.validate()
        return config
    }

    /// Checks every field; the first bad one is reported.
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ModelError.invalidConfig(field: field, value: "\(value)", expected: expected) }
        }
        try require(growthRate > 0, "growthRate", growthRate, "a positive integer")
        try require(!blockSizes.isEmpty && blockSizes.allSatisfy { $0 > 0 }, "blockSizes", blockSizes,
                    "one or more positive layer counts")
        try require(initialChannels > 0, "initialChannels", initialChannels, "a positive integer")
        try require(bottleneckChannels > 0, "bottleneckChannels", bottleneckChannels, "a positive integer")
        try require(compression > 0 && compression <= 1, "compression", compression, "a value in (0, 1]")
        try require(batchNormEpsilon > 0, "batchNormEpsilon", batchNormEpsilon, "a positive value")
        try require(batchNormMomentum >= 0 && batchNormMomentum < 1, "batchNormMomentum", batchNormMomentum,
                    "a value in [0, 1)")
        var channels = initialChannels
        for (b, size) in blockSizes.enumerated() {
            channels += size * growthRate
            if b < blockSizes.count - 1 {
                try require(transitionChannels(channels) > 0, "compression", compression,
                            "a value that leaves transition \(b + 1) at least one of its \(channels) channels")
                channels = transitionChannels(channels)
            }
        }
    }

    /// Channels a transition keeps of its `channels` inputs (Keras `int(C · reduction)`).
    public func transitionChannels(_ channels: Int) -> Int {
        Int((Double(channels) * compression).rounded(.down))
    }
}
