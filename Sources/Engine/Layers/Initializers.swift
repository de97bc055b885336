// Weight initialisers: fill a tensor from a counter-based stream, so a layer's initial weights depend
// only on the seed and stream, never on thread count or initialisation order.

/// How a layer's weights start (biases start at zero): the one list Dense, Conv2D, heads and backbone
/// configurations choose from.
public enum WeightInit: Equatable, Sendable {
    /// U(−l, l), l = √(6 / (fanIn + fanOut)): Keras's default for `Dense` and `Conv2D`.
    case glorotUniform
    /// N(0, 2 / fanIn): PyTorch's `kaiming_normal_` with mode fan_in.
    case heNormalFanIn
    /// N(0, 2 / fanOut): the original DenseNet code's convolutions.
    case heNormalFanOut
    /// N(0, 2 / fanIn) truncated at ±2σ: Keras's `he_normal` (the study's frozen head).
    case heNormalTruncated

    /// Fills `tensor`, the weight of a layer with `fanIn` inputs and `fanOut` outputs per example
    /// (a convolution's count its kernel positions: inChannels·kh·kw and outChannels·kh·kw).
    func draw(_ tensor: Tensor, fanIn: Int, fanOut: Int, random: CounterRandom) {
        // Module-qualified: inside the enum the bare names are its cases.
        switch self {
        case .glorotUniform: Engine.glorotUniform(tensor, fanIn: fanIn, fanOut: fanOut, random: random)
        case .heNormalFanIn: Engine.heNormal(tensor, fan: fanIn, random: random)
        case .heNormalFanOut: Engine.heNormal(tensor, fan: fanOut, random: random)
        case .heNormalTruncated: Engine.heNormalTruncated(tensor, fanIn: fanIn, random: random)
        }
    }
}

/// Glorot (Xavier) uniform, Keras's default: U(−l, l) with l = √(6 / (fanIn + fanOut)).
/// For a conv, fanIn = inChannels·kh·kw and fanOut = outChannels·kh·kw.
func glorotUniform(_ tensor: Tensor, fanIn: Int, fanOut: Int, random: CounterRandom) {
    precondition(fanIn > 0 && fanOut > 0, "glorotUniform: fans must be positive, got in=\(fanIn) out=\(fanOut)")
    let limit = (6 / Float(fanIn + fanOut)).squareRoot()
    for i in 0..<tensor.count {
        tensor.data[i] = (random.uniform(at: UInt64(i)) * 2 - 1) * limit
    }
}

/// He (Kaiming) normal, PyTorch's `kaiming_normal_` (untruncated): N(0, 2 / fan). Pass the fan-in
/// (PyTorch's default mode) or the fan-out (the original DenseNet code: outChannels·kh·kw).
func heNormal(_ tensor: Tensor, fan: Int, random: CounterRandom) {
    precondition(fan > 0, "heNormal: fan must be positive, got \(fan)")
    let std = (2 / Float(fan)).squareRoot()
    for i in 0..<tensor.count {
        tensor.data[i] = random.normal(at: UInt64(i)) * std
    }
}

/// He normal as Keras draws it: N(0, 2 / fanIn) truncated at ±2σ, scaled by 1 / 0.8796… (the standard
/// deviation of a unit normal truncated at ±2) so the kept draws still have variance 2 / fanIn. A
/// rejected draw retries at index `i + attempt·count`, so every element stays a pure function of the
/// stream.
func heNormalTruncated(_ tensor: Tensor, fanIn: Int, random: CounterRandom) {
    precondition(fanIn > 0, "heNormalTruncated: fanIn must be positive, got \(fanIn)")
    let sigma = (2 / Float(fanIn)).squareRoot() / 0.879_625_66
    for i in 0..<tensor.count {
        var attempt: UInt64 = 0, z: Float
        repeat {
            z = random.normal(at: UInt64(i) &+ attempt &* UInt64(tensor.count))
            attempt += 1
        } while abs(z) > 2
        tensor.data[i] = z * sigma
    }
}
