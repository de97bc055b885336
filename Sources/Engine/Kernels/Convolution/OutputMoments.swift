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
        var lanes = MomentLanes()
        lanes.add(values, count: count)
        add(lanes, channel: channel, chunk: chunk)
    }

    /// Adds one channel's lane sums (gathered over several runs) to chunk `chunk`'s sums.
    func add(_ lanes: MomentLanes, channel: Int, chunk: Int) {
        let part = partials + chunk * 2 * channels
        part[channel] += Double(lanes.sums.sum())
        part[channels + channel] += Double(lanes.squares.sum())
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

/// Per-lane sums and sums of squares of one channel, carried across the runs of a tile so that the
/// lanes are reduced once per tile rather than once per run.
struct MomentLanes {
    /// Lane sums in the low half, lane sums of squares in the high half: one buffer for the kernel.
    private var lanes = SIMD16<Float>()

    var sums: SIMD8<Float> { lanes.lowHalf }
    var squares: SIMD8<Float> { lanes.highHalf }

    /// Adds `values[0..<count]`, eight at a time (the last group zero-padded, adding nothing):
    /// sums += v, squares = fma(v, v, squares).
    @inline(__always)
    mutating func add(_ values: UnsafePointer<Float>, count: Int) {
        withUnsafeMutableBytes(of: &lanes) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: Float.self)
            kernels.moments_add(p, p + 8, values, count)
        }
    }
}
