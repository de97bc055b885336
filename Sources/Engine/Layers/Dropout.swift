// Inverted dropout with masks drawn from counters: the mask of a step depends only on (seed, step,
// element), so resumed runs and any thread count draw the same masks.

/// Zeroes each input with probability `rate` while training and scales the kept ones by
/// 1 / (1 − rate) (Keras and PyTorch semantics); the identity at inference. Give each dropout layer
/// its own `random` stream: two layers sharing one would drop the same positions.
public final class Dropout: Layer {
    public let name: String
    public let rate: Float
    private let random: CounterRandom
    /// The last training forward's multipliers (0 or 1 / (1 − rate)); nil after an inference forward.
    private var mask: Tensor?

    public init(name: String, rate: Float, random: CounterRandom) {
        precondition(rate >= 0 && rate < 1, "\(name): dropout rate \(rate) is not in [0, 1)")
        self.name = name
        self.rate = rate
        self.random = random
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        guard context.dropout, rate > 0 else {
            mask = nil
            return x
        }
        let m = Tensor(zeros: x.shape), y = Tensor(zeros: x.shape)
        let draws = random.stream(context.step), keep = 1 / (1 - rate)
        // A sharded step's local batch starts inside the whole batch: masks follow the whole batch's elements.
        let first = context.shards.map { $0.localImages.lowerBound * (x.count / max(x.shape[0], 1)) } ?? 0
        for i in 0..<x.count {
            m.data[i] = draws.uniform(at: UInt64(first + i)) < rate ? 0 : keep
            y.data[i] = x.data[i] * m.data[i]
        }
        mask = m
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let m = mask else { return dy }
        let dx = Tensor(zeros: dy.shape)
        for i in 0..<dy.count { dx.data[i] = dy.data[i] * m.data[i] }
        return dx
    }
}
