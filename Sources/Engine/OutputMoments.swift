// Per-channel sums of a convolution's output, gathered while the output is written: the next
// BatchNorm's batch statistics without another pass over memory.

/// Per-chunk partial sums and sums of squares per channel, added in chunk order at the end so the
/// result does not depend on the thread count.
struct OutputMoments {
    let channels: Int
    let chunks: Int
    private let partials: UnsafeMutablePointer<Double>
    private let destination: UnsafeMutablePointer<Double>

    /// Nil when there is no destination (the caller did not ask for moments).
    init?(into destination: UnsafeMutablePointer<Double>?, channels: Int, chunks: Int) {
        guard let destination else { return nil }
        self.channels = channels
        self.chunks = chunks
        self.destination = destination
        partials = .allocate(capacity: 2 * channels * chunks)
        partials.initialize(repeating: 0, count: 2 * channels * chunks)
    }

    /// Adds `values[0..<count]` of channel `channel` to chunk `chunk`'s sums.
    func add(_ values: UnsafePointer<Float>, count: Int, channel: Int, chunk: Int) {
        var sums = SIMD8<Float>(), squareSums = SIMD8<Float>(), t = 0
        while t + 8 <= count {
            let v = UnsafeRawPointer(values + t).loadUnaligned(as: SIMD8<Float>.self)
            sums += v
            squareSums = squareSums.addingProduct(v, v)
            t += 8
        }
        var sum = sums.sum(), squares = squareSums.sum()
        while t < count {
            sum += values[t]
            squares += values[t] * values[t]
            t += 1
        }
        let part = partials + chunk * 2 * channels
        part[channel] += Double(sum)
        part[channels + channel] += Double(squares)
    }

    /// Writes the channel sums to `destination[0..<channels]` and the sums of squares after them,
    /// then frees the partials.
    func finish() {
        for c in 0..<(2 * channels) {
            var total = 0.0
            for chunk in 0..<chunks { total += partials[chunk * 2 * channels + c] }
            destination[c] = total
        }
        partials.deallocate()
    }
}
