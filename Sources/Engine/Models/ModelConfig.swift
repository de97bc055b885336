// A whole model as configuration: input stage, DenseNet backbone, head, and which part is frozen.

/// Which backbone layers are frozen: their parameters get no gradients and optimizers skip them,
/// and their BatchNorms run in inference mode even while training (Keras `trainable=False`).
public enum Freezing: Equatable, Sendable {
    /// Everything trains.
    case none
    /// The whole backbone is frozen; only the head trains. The backbone is then a fixed function,
    /// so its features can be computed once and cached.
    case backbone
    /// The backbone from its first layer up to and including the named layer or block, e.g.
    /// `denseblock3`, `transition2`, `denseblock4.denselayer8`, `conv0` (with or without `features.`).
    case upTo(String)
}

/// Everything that determines a model's layers and parameter shapes.
public struct ModelConfig: Equatable, Sendable {
    /// [channels, height, width] of one input image as the data set provides it.
    public var inputShape: [Int]
    public var input: InputStage
    public var backbone: DenseNetConfig
    public var head: HeadConfig
    public var freezing: Freezing

    public init(inputShape: [Int], input: InputStage = .identity, backbone: DenseNetConfig,
                head: HeadConfig = .none, freezing: Freezing = .none) {
        self.inputShape = inputShape
        self.input = input
        self.backbone = backbone
        self.head = head
        self.freezing = freezing
    }
}
