// The shape of a 2-D convolution: channels, kernel, stride, per-side zero padding and the output size
// they imply. Every convolution kernel takes one.

/// How a convolution pads its input with zeros.
public enum ConvPadding: Equatable, Sendable {
    /// No padding (Keras `valid`, PyTorch `padding=0`).
    case valid
    /// Keras/TensorFlow `same`: output size `ceil(input / stride)`; an odd total goes to bottom/right.
    case same
    /// `p` zeros on every side (PyTorch `padding=p`).
    case symmetric(Int)
    /// Explicit zeros per side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)
}

/// Geometry of a convolution over NCHW images with weights `[outChannels, inChannels, kernelHeight,
/// kernelWidth]` (PyTorch's layout): output pixel (oy, ox) reads input rows `oy·strideY − padTop + ky`
/// and columns `ox·strideX − padLeft + kx`, zero outside the image.
public struct ConvGeometry: Equatable, Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let inputHeight: Int
    public let inputWidth: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let strideY: Int
    public let strideX: Int
    public let padTop: Int
    public let padBottom: Int
    public let padLeft: Int
    public let padRight: Int
    public let outputHeight: Int
    public let outputWidth: Int

    public init(inChannels: Int, outChannels: Int, inputHeight: Int, inputWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideY: Int = 1, strideX: Int = 1,
                padding: ConvPadding) {
        precondition(inChannels > 0 && outChannels > 0,
                     "ConvGeometry: channels must be positive, got in=\(inChannels) out=\(outChannels)")
        precondition(kernelHeight > 0 && kernelWidth > 0,
                     "ConvGeometry: kernel must be positive, got \(kernelHeight)x\(kernelWidth)")
        precondition(strideY > 0 && strideX > 0, "ConvGeometry: stride must be positive, got \(strideY)x\(strideX)")
        precondition(inputHeight > 0 && inputWidth > 0,
                     "ConvGeometry: input must be non-empty, got \(inputHeight)x\(inputWidth)")
        let (top, bottom, left, right): (Int, Int, Int, Int)
        switch padding {
        case .valid:
            (top, bottom, left, right) = (0, 0, 0, 0)
        case .symmetric(let p):
            (top, bottom, left, right) = (p, p, p, p)
        case .explicit(let t, let b, let l, let r):
            (top, bottom, left, right) = (t, b, l, r)
        case .same:
            let totalY = ConvGeometry.samePadding(input: inputHeight, kernel: kernelHeight, stride: strideY)
            let totalX = ConvGeometry.samePadding(input: inputWidth, kernel: kernelWidth, stride: strideX)
            (top, bottom, left, right) = (totalY / 2, totalY - totalY / 2, totalX / 2, totalX - totalX / 2)
        }
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0,
                     "ConvGeometry: padding must be non-negative, got top=\(top) bottom=\(bottom) left=\(left) right=\(right)")
        let paddedHeight = inputHeight + top + bottom, rowWidth = inputWidth + left + right
        precondition(paddedHeight >= kernelHeight && rowWidth >= kernelWidth,
                     "ConvGeometry: kernel \(kernelHeight)x\(kernelWidth) larger than the padded input "
                     + "\(paddedHeight)x\(rowWidth)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideY = strideY; self.strideX = strideX
        self.padTop = top; self.padBottom = bottom; self.padLeft = left; self.padRight = right
        self.outputHeight = (paddedHeight - kernelHeight) / strideY + 1
        self.outputWidth = (rowWidth - kernelWidth) / strideX + 1
    }

    private static func samePadding(input: Int, kernel: Int, stride: Int) -> Int {
        max(((input + stride - 1) / stride - 1) * stride + kernel - input, 0)
    }

    /// Rows of the implicit im2col matrix: one per (input channel, ky, kx).
    public var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    public var inputPlane: Int { inputHeight * inputWidth }
    public var outputPlane: Int { outputHeight * outputWidth }
    public var weightCount: Int { outChannels * patchSize }

    /// For stride 1, the geometry whose forward pass is this one's backward-data: input = the output
    /// gradient, kernel flipped, padding `k − 1 − p` per side (nil when a side pads by ≥ the kernel).
    var transposedForStrideOne: ConvGeometry? {
        guard strideY == 1, strideX == 1, max(padTop, padBottom) < kernelHeight, max(padLeft, padRight) < kernelWidth
        else { return nil }
        return ConvGeometry(inChannels: outChannels, outChannels: inChannels, inputHeight: outputHeight,
                            inputWidth: outputWidth, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                            padding: .explicit(top: kernelHeight - 1 - padTop, bottom: kernelHeight - 1 - padBottom,
                                               left: kernelWidth - 1 - padLeft, right: kernelWidth - 1 - padRight))
    }

    /// Multiply-adds of one image's forward pass (×2 for flops).
    public var macsPerImage: Int { outChannels * outputPlane * patchSize }

    func checkInput(_ x: ImageView, _ what: String) {
        precondition(x.channels == inChannels && x.height == inputHeight && x.width == inputWidth,
                     "\(what): expected \(inChannels)x\(inputHeight)x\(inputWidth) images, got "
                     + "\(x.channels)x\(x.height)x\(x.width)")
    }

    func checkOutput(_ y: ImageView, batch: Int, _ what: String) {
        precondition(y.batch == batch && y.channels == outChannels && y.height == outputHeight && y.width == outputWidth,
                     "\(what): expected \(batch)x\(outChannels)x\(outputHeight)x\(outputWidth) output, got "
                     + "\(y.batch)x\(y.channels)x\(y.height)x\(y.width)")
    }
}
