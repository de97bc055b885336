// A trained model as the operations its inference forward performs, one node per operation and in
// plain layer terms (convolution, BatchNorm, ReLU, concatenation): what an exporter to another
// runtime's format walks. The engine fuses BN→ReLU into the next convolution and concatenates by
// writing into block buffers; here each of those is its own node again, as other runtimes expect.

/// One operation of an inference forward. Shapes are NCHW for feature maps and [N, F] for vectors.
public enum InferenceOperation {
    /// Repeats a 1-channel image into 3 channels (grayscale to RGB).
    case repeatChannels(times: Int)
    /// Bilinear resize with half-pixel centres, edge pixels repeated (see `Resize`).
    case resizeBilinear(height: Int, width: Int)
    /// Per channel y = x·scale + shift (the input stage's normalisation).
    case channelAffine(scale: [Float], shift: [Float])
    /// Cross-correlation with `weight` [out, in, k, k] and optional `bias` [out], zeros outside the image.
    case convolution(weight: Tensor, bias: Tensor?, stride: Int, padding: Padding2D)
    /// Inference-mode batch normalisation with the running statistics.
    case batchNorm(gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, epsilon: Float)
    case relu
    /// Max pool; padded positions never win.
    case maxPool(PoolWindow)
    /// Average pool without padding (every window lies inside the image).
    case averagePool(PoolWindow)
    /// [N, C, H, W] → [N, C] by mean or maximum over each plane.
    case globalPool(GlobalPool.Reduction)
    /// [N, …] → [N, product of the rest], channel-major.
    case flatten
    /// y = x·weightᵀ + bias, `weight` [out, in].
    case dense(weight: Tensor, bias: Tensor?)
    /// Concatenation of the inputs along channels, in order.
    case concatenate
}

/// The inference forward of a `Model` as a graph over named values.
///
/// The graph's input is `InferenceGraph.inputName`, a float batch [N] + `inputShape`: exactly what
/// `Model.forward` takes. Nodes come in execution order, each reading values named by earlier
/// nodes (or the input) and writing one value named after itself. Tensors are the model's own, not
/// copies: read them before the model trains again.
public struct InferenceGraph {
    public struct Node {
        /// The layer's name (`features.denseblock1.denselayer2.conv1`), also the node's output value.
        public let name: String
        public let operation: InferenceOperation
        public let inputs: [String]
    }

    public static let inputName = "input"
    /// [C, H, W] of one input image.
    public let inputShape: [Int]
    public private(set) var nodes: [Node] = []
    /// The value holding the model's result: logits [N, classes], or features [N, C, H, W] without a head.
    public private(set) var output: String
    /// The shape of one example of `output`.
    public private(set) var outputShape: [Int]

    init(inputShape: [Int]) {
        self.inputShape = inputShape
        output = Self.inputName
        outputShape = inputShape
    }

    /// Appends a node reading `inputs` (default: the current output) and makes it the output, of
    /// shape `shape` per example.
    mutating func append(_ name: String, _ operation: InferenceOperation, inputs: [String]? = nil, shape: [Int]) {
        nodes.append(Node(name: name, operation: operation, inputs: inputs ?? [output]))
        output = name
        outputShape = shape
    }
}

extension Model {
    /// The model's inference forward (dropout is the identity there, so it has no node).
    public func inferenceGraph() -> InferenceGraph {
        var graph = InferenceGraph(inputShape: architecture.config.inputShape)
        let stage = architecture.config.input
        if stage.grayscaleToRGB {
            graph.append("input.grayscale", .repeatChannels(times: 3), shape: [3] + graph.outputShape.dropFirst())
        }
        if let size = stage.resize {
            graph.append("input.resize", .resizeBilinear(height: size.height, width: size.width),
                         shape: [graph.outputShape[0], size.height, size.width])
        }
        if let n = stage.normalization {
            // The same scale and shift `prepare` applies, so both compute the same products.
            graph.append("input.normalize", .channelAffine(scale: n.std.map { 1 / $0 },
                                                           shift: zip(n.mean, n.std).map { -$0 / $1 }),
                         shape: graph.outputShape)
        }
        backbone.appendInference(to: &graph)
        head.appendInference(to: &graph)
        return graph
    }
}

extension DenseNet {
    func appendInference(to graph: inout InferenceGraph) {
        stem.appendInference(to: &graph)
        for (b, block) in blocks.enumerated() {
            for layer in block { layer.appendInference(to: &graph) }
            if b < transitions.count { transitions[b].appendInference(to: &graph) }
        }
        finalNorm.appendInference(to: &graph, relu: "features.relu5")
    }
}

extension DenseNetStem {
    func appendInference(to graph: inout InferenceGraph) {
        conv.appendInference(to: &graph)
        guard let norm else { return }
        norm.appendInference(to: &graph, relu: "features.relu0")
        let (height, width) = pool.outputSize(height: graph.outputShape[1], width: graph.outputShape[2])
        graph.append("features.pool0", .maxPool(pool), shape: [graph.outputShape[0], height, width])
    }
}

extension DenseLayer {
    /// BN-ReLU-conv1, BN-ReLU-conv2, then the layer's input and new channels concatenated.
    func appendInference(to graph: inout InferenceGraph) {
        let input = graph.output, inputShape = graph.outputShape
        norm1.appendInference(to: &graph, relu: "\(name).relu1")
        conv1.appendInference(to: &graph)
        norm2.appendInference(to: &graph, relu: "\(name).relu2")
        conv2.appendInference(to: &graph)
        graph.append("\(name).concat", .concatenate, inputs: [input, graph.output],
                     shape: [inputShape[0] + conv2.outChannels, inputShape[1], inputShape[2]])
    }
}

extension Transition {
    func appendInference(to graph: inout InferenceGraph) {
        norm.appendInference(to: &graph, relu: "\(name).relu")
        conv.appendInference(to: &graph)
        let (height, width) = pool.outputSize(height: graph.outputShape[1], width: graph.outputShape[2])
        graph.append("\(name).pool", .averagePool(pool), shape: [graph.outputShape[0], height, width])
    }
}

extension FoldedBatchNorm {
    /// The BatchNorm and the ReLU the engine applies with it, as two nodes.
    func appendInference(to graph: inout InferenceGraph, relu: String) {
        layer.appendInference(to: &graph)
        graph.append(relu, .relu, shape: graph.outputShape)
    }
}

extension BatchNorm {
    func appendInference(to graph: inout InferenceGraph) {
        graph.append(name, .batchNorm(gamma: gamma.value, beta: beta.value, mean: runningMean.value,
                                      variance: runningVariance.value, epsilon: convention.epsilon),
                     shape: graph.outputShape)
    }
}

extension Conv2D {
    func appendInference(to graph: inout InferenceGraph) {
        let g = geometry(for: [1] + graph.outputShape)
        graph.append(name, .convolution(weight: weight.value, bias: bias?.value, stride: stride,
                                        padding: Padding2D(top: g.padTop, bottom: g.padBottom,
                                                           left: g.padLeft, right: g.padRight)),
                     shape: [outChannels, g.outputHeight, g.outputWidth])
    }
}

extension Head {
    func appendInference(to graph: inout InferenceGraph) {
        for layer in layers {
            let shape = graph.outputShape
            switch layer {
            case let pool as GlobalPool:
                graph.append(pool.name, .globalPool(pool.reduction), shape: [shape[0]])
            case let flatten as Flatten:
                graph.append(flatten.name, .flatten, shape: [shape.reduce(1, *)])
            case let norm as BatchNorm:
                norm.appendInference(to: &graph)
            case let dense as Dense:
                graph.append(dense.name, .dense(weight: dense.weight.value, bias: dense.bias?.value), shape: [dense.outputs])
            case let relu as ReLU:
                graph.append(relu.name, .relu, shape: shape)
            case is Dropout:
                continue
            default:
                preconditionFailure("\(layer.name): a head layer without an inference node")
            }
        }
    }
}
