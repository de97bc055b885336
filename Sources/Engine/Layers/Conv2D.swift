// The 2-D convolution layer: owns the weights (and optional bias) and keeps its input for backward;
// the arithmetic is in Kernels/Convolution/ (Convolution.swift has the entry points).

/// A convolution layer over NCHW batches.
///
/// `weight` is `[outChannels, inChannels, kernelSize, kernelSize]`, PyTorch's layout (a Keras kernel
/// `[kh, kw, in, out]` must be transposed on import); `bias` is `[outChannels]`.
/// Layers that fuse BatchNorm→ReLU into the convolution (DenseNet) call `convolutionForward` and
/// friends directly with `weight.value.data` and a `ConvInputTransform`.
public final class Conv2D: Layer {
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: ConvPadding
    public let weight: Parameter
    public let bias: Parameter?
    private var lastInput: Tensor?

    /// Weights drawn from `random` (stream 0 for the weights; the bias starts at zero).
    public init(name: String, inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: ConvPadding, bias: Bool = false, initializer: WeightInit = .glorotUniform,
                random: CounterRandom) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0,
                     "Conv2D \(name): channels, kernel size and stride must be positive, got in=\(inChannels) "
                     + "out=\(outChannels) kernel=\(kernelSize) stride=\(stride)")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let w = Tensor(zeros: [outChannels, inChannels, kernelSize, kernelSize])
        let area = kernelSize * kernelSize
        initializer.draw(w, fanIn: inChannels * area, fanOut: outChannels * area, random: random.stream(0))
        self.weight = Parameter(name: name + ".weight", value: w)
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor(zeros: [outChannels])) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// The convolution's geometry on NCHW input of `inputShape`.
    public func geometry(for inputShape: [Int]) -> ConvGeometry {
        precondition(inputShape.count == 4 && inputShape[1] == inChannels,
                     "Conv2D \(name): expected NCHW input with \(inChannels) channels, got \(inputShape)")
        return ConvGeometry(inChannels: inChannels, outChannels: outChannels, inputHeight: inputShape[2],
                            inputWidth: inputShape[3], kernelHeight: kernelSize, kernelWidth: kernelSize,
                            strideY: stride, strideX: stride, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(for: inputShape)
        return [inputShape[0], outChannels, g.outputHeight, g.outputWidth]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let g = geometry(for: x.shape)
        let y = Tensor(zeros: outputShape(for: x.shape))
        convolutionForward(g, input: x.images(), weights: weight.value.data, bias: bias?.value.data,
                           output: y.images())
        lastInput = x
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = lastInput else { preconditionFailure("Conv2D \(name): backward before forward") }
        let g = geometry(for: x.shape)
        precondition(dy.shape == outputShape(for: x.shape),
                     "Conv2D \(name): output gradient \(dy.shape) does not match output \(outputShape(for: x.shape))")
        let dx = Tensor(zeros: x.shape)
        convolutionBackwardData(g, outputGradient: dy.images(), weights: weight.value.data, inputGradient: dx.images())
        let biasTrainable = bias?.trainable ?? false
        if weight.trainable || biasTrainable {
            // A frozen weight's gradient goes to scratch; the kernel computes both in one pass.
            let dw = weight.trainable ? weight.grad : Tensor(zeros: weight.value.shape)
            convolutionBackwardWeights(g, input: x.images(), outputGradient: dy.images(), weightGradient: dw.data,
                                       biasGradient: biasTrainable ? bias!.grad.data : nil)
        }
        return dx
    }
}
