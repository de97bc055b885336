// A trained model as an ONNX file: the engine's inference graph mapped node by node onto ONNX
// operators (opset 18), weights as initializers, what the input expects as metadata.
//
// BatchNorm stays as BatchNormalization nodes rather than folded into convolutions: DenseNet puts
// every BatchNorm before its ReLU and convolution (pre-activation) or after a concatenation, so only
// two per dense layer could fold into a preceding convolution at all, and ONNX Runtime's own graph
// optimizer fuses exactly those (Conv→BatchNormalization) when it loads the model. Kept nodes also
// keep the weights as the checkpoint holds them, under the same names.
import Engine

/// The bytes of an ONNX model computing a `Model`'s inference forward.
///
/// Input `input`: float [batch, C, H, W], the images exactly as `Model.forward` takes them (already
/// normalised; `metadata` says how). Outputs: `logits` [batch, classes] and `probabilities`, their
/// softmax; a model without a head has one output, `features` [batch, C, H, W].
public struct ONNXModelFile {
    public static let inputName = InferenceGraph.inputName
    public static let logitsName = "logits"
    public static let probabilitiesName = "probabilities"
    public static let featuresName = "features"
    /// Resize's `axes` attribute (resizing H and W of a batch of any size) needs opset 18.
    public static let opset = 18
    /// The IR version of opset 18 (ONNX 1.13).
    public static let irVersion = 8

    public let bytes: [UInt8]

    /// `model`'s graph with `metadata` as the file's metadata_props (sorted by key, so the same
    /// model and metadata give the same bytes), produced by tlab `producerVersion`.
    public init(model: Model, metadata: [String: String], producerVersion: String) {
        let graph = model.inferenceGraph()
        var builder = ONNXGraphBuilder()
        let classifies = graph.outputShape.count == 1
        let result = classifies ? Self.logitsName : Self.featuresName
        for node in graph.nodes {
            builder.add(node, output: node.name == graph.output ? result : node.name)
        }
        var outputs = [onnxValueInfo(result, shape: [.symbol("batch")] + graph.outputShape.map { .size($0) })]
        if classifies {
            builder.nodes.append(onnxNode("Softmax", name: "softmax", inputs: [result], outputs: [Self.probabilitiesName],
                                          attributes: [.int("axis", 1)]))
            outputs.append(onnxValueInfo(Self.probabilitiesName, shape: [.symbol("batch"), .size(graph.outputShape[0])]))
        }
        let input = onnxValueInfo(Self.inputName, shape: [.symbol("batch")] + graph.inputShape.map { .size($0) })
        let graphMessage = onnxGraph(name: "tlab", nodes: builder.nodes, initializers: builder.initializers,
                                     inputs: [input], outputs: outputs)
        bytes = onnxModel(irVersion: Self.irVersion, opset: Self.opset, producerVersion: producerVersion,
                          docString: "DenseNet classifier trained with TransferLab (tlab)", graph: graphMessage,
                          metadata: metadata.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }).bytes
    }
}

/// Collects the ONNX nodes and initializers of inference nodes.
private struct ONNXGraphBuilder {
    var nodes: [ProtobufWriter] = []
    var initializers: [ProtobufWriter] = []
    /// The ONNX value each engine value is in (the last node's output is renamed).
    private var values: [String: String] = [InferenceGraph.inputName: InferenceGraph.inputName]

    private mutating func weight(_ name: String, _ tensor: Tensor, dims: [Int]? = nil) -> String {
        initializers.append(onnxTensor(name, dims: dims ?? tensor.shape,
                                       values: UnsafeBufferPointer(start: tensor.data, count: tensor.count)))
        return name
    }

    private mutating func constant(_ name: String, _ values: [Float], dims: [Int]) -> String {
        values.withUnsafeBufferPointer { initializers.append(onnxTensor(name, dims: dims, values: $0)) }
        return name
    }

    private mutating func node(_ op: String, _ name: String, _ inputs: [String], _ output: String,
                               _ attributes: [ONNXAttribute] = []) {
        nodes.append(onnxNode(op, name: name, inputs: inputs, outputs: [output], attributes: attributes))
    }

    /// Adds `node`, writing its result to the ONNX value `output`.
    mutating func add(_ node: InferenceGraph.Node, output: String) {
        let inputs = node.inputs.map { values[$0]! }, x = inputs[0], name = node.name
        values[name] = output
        switch node.operation {
        case .repeatChannels(let times):
            self.node("Concat", name, Array(repeating: x, count: times), output, [.int("axis", 1)])
        case let .resizeBilinear(height, width):
            let sizes = name + ".sizes"
            initializers.append(onnxTensor(sizes, int64s: [height, width]))
            // Empty names skip the optional roi and scales inputs.
            self.node("Resize", name, [x, "", "", sizes], output, [
                .ints("axes", [2, 3]), .string("mode", "linear"),
                .string("coordinate_transformation_mode", "half_pixel"),
            ])
        case let .channelAffine(scale, shift):
            let dims = [1, scale.count, 1, 1]
            let factor = constant(name + ".scale_factor", scale, dims: dims)
            let offset = constant(name + ".shift", shift, dims: dims)
            self.node("Mul", name + ".scale", [x, factor], name + ".scaled")
            self.node("Add", name, [name + ".scaled", offset], output)
        case let .convolution(weight, bias, stride, padding):
            let k = weight.shape[2]
            var arguments = [x, self.weight(name + ".weight", weight)]
            if let bias { arguments.append(self.weight(name + ".bias", bias)) }
            self.node("Conv", name, arguments, output, [
                .ints("kernel_shape", [k, weight.shape[3]]), .ints("strides", [stride, stride]),
                .ints("pads", [padding.top, padding.left, padding.bottom, padding.right]),
            ])
        case let .batchNorm(gamma, beta, mean, variance, epsilon):
            let arguments = [x, weight(name + ".weight", gamma), weight(name + ".bias", beta),
                             weight(name + ".running_mean", mean), weight(name + ".running_var", variance)]
            self.node("BatchNormalization", name, arguments, output, [.float("epsilon", epsilon)])
        case .relu:
            self.node("Relu", name, [x], output)
        case .maxPool(let window):
            self.node("MaxPool", name, [x], output, poolAttributes(window))
        case .averagePool(let window):
            self.node("AveragePool", name, [x], output, poolAttributes(window))
        case .globalPool(let reduction):
            // ONNX keeps the pooled planes as [N, C, 1, 1]; the engine's vector is [N, C].
            self.node(reduction == .max ? "GlobalMaxPool" : "GlobalAveragePool", name + ".planes", [x], name + ".pooled")
            self.node("Flatten", name, [name + ".pooled"], output, [.int("axis", 1)])
        case .flatten:
            self.node("Flatten", name, [x], output, [.int("axis", 1)])
        case let .dense(weight, bias):
            var arguments = [x, self.weight(name + ".weight", weight)]
            if let bias { arguments.append(self.weight(name + ".bias", bias)) }
            self.node("Gemm", name, arguments, output, [.int("transB", 1)])
        case .concatenate:
            self.node("Concat", name, inputs, output, [.int("axis", 1)])
        }
    }

    private func poolAttributes(_ window: PoolWindow) -> [ONNXAttribute] {
        let p = window.padding
        return [.ints("kernel_shape", [window.kernel, window.kernel]), .ints("strides", [window.stride, window.stride]),
                .ints("pads", [p.top, p.left, p.bottom, p.right])]
    }
}
