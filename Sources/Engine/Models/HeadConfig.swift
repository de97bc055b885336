// A classifier head as configuration: a list of layers, with the study's three heads as presets.

/// A classification head: layers applied to the backbone's [C, H, W] feature map, in order. The last
/// dense layer produces logits; softmax lives in the loss (fused softmax cross-entropy).
public struct HeadConfig: Equatable, Sendable {
    /// How global pooling reduces each channel's plane.
    public enum Pooling: String, Equatable, Sendable { case average, max }

    public var layers: [Layer]

    public init(layers: [Layer]) {
        self.layers = layers
    }

    /// No head: the model's output is the backbone's feature map (Keras `include_top=False`).
    public static let none = HeadConfig(layers: [])

    /// Global pooling → dense to `classes` (the study's basic model with `pooling='avg'`, and the
    /// torchvision classifier).
    public static func linear(classes: Int, pooling: Pooling = .average) -> HeadConfig {
        HeadConfig(layers: [.globalPool(pooling), .dense(units: classes, relu: false, initializer: .glorotUniform)])
    }

    /// The study's optimized model: max pool → flatten → BN → dense 256 relu → dense 128 relu → BN →
    /// dropout 0.2 → dense.
    public static func studyOptimized(classes: Int) -> HeadConfig {
        HeadConfig(layers: [.globalPool(.max), .flatten, .batchNorm,
                      .dense(units: 256, relu: true, initializer: .glorotUniform),
                      .dense(units: 128, relu: true, initializer: .glorotUniform),
                      .batchNorm, .dropout(0.2),
                      .dense(units: classes, relu: false, initializer: .glorotUniform)])
    }

    /// The study's transfer model on a frozen backbone: flatten → BN → dense 256 relu he-normal →
    /// dropout 0.2 → dense 128 relu he-normal → BN → dropout 0.2 → BN → dense he-normal.
    public static func studyFrozen(classes: Int) -> HeadConfig {
        HeadConfig(layers: [.flatten, .batchNorm,
                      .dense(units: 256, relu: true, initializer: .heNormalTruncated), .dropout(0.2),
                      .dense(units: 128, relu: true, initializer: .heNormalTruncated),
                      .batchNorm, .dropout(0.2), .batchNorm,
                      .dense(units: classes, relu: false, initializer: .heNormalTruncated)])
    }

    /// Number of classes the head predicts (units of its last dense layer), if it has one.
    public var classes: Int? {
        for layer in layers.reversed() {
            if case let .dense(units, _, _) = layer { return units }
        }
        return nil
    }
}

extension HeadConfig {
    /// One layer of a head.
    public enum Layer: Equatable, Sendable {
        /// Global average or max pooling: [C, H, W] → [C].
        case globalPool(Pooling)
        /// [C, H, W] → [C·H·W], channel-major (NCHW order).
        case flatten
        /// BatchNorm over features, Keras defaults (ε 1e-3, momentum 0.99).
        case batchNorm
        /// Fully connected to `units`, optionally followed by ReLU.
        case dense(units: Int, relu: Bool, initializer: WeightInit)
        /// Inverted dropout with this drop probability during training.
        case dropout(Float)
    }
}
