// Weight initialisers: fill a tensor from a counter-based stream, so a layer's initial weights depend
// only on the seed and stream, never on thread count or initialisation order.

/// Glorot (Xavier) uniform, Keras's default: U(−l, l) with l = √(6 / (fanIn + fanOut)).
/// For a conv, fanIn = inChannels·kh·kw and fanOut = outChannels·kh·kw.
public func glorotUniform(_ tensor: Tensor, fanIn: Int, fanOut: Int, random: CounterRandom) {
    precondition(fanIn > 0 && fanOut > 0, "glorotUniform: fans must be positive, got in=\(fanIn) out=\(fanOut)")
    let limit = (6 / Float(fanIn + fanOut)).squareRoot()
    for i in 0..<tensor.count {
        tensor.data[i] = (random.uniform(at: UInt64(i)) * 2 - 1) * limit
    }
}

/// He (Kaiming) normal, PyTorch's `kaiming_normal_` (untruncated): N(0, 2 / fan). Pass the fan-in
/// (PyTorch's default mode) or the fan-out (the original DenseNet code: outChannels·kh·kw).
public func heNormal(_ tensor: Tensor, fan: Int, random: CounterRandom) {
    precondition(fan > 0, "heNormal: fan must be positive, got \(fan)")
    let std = (2 / Float(fan)).squareRoot()
    for i in 0..<tensor.count {
        tensor.data[i] = random.normal(at: UInt64(i)) * std
    }
}
