// Fully connected layer: y = x·Wᵀ + b over [N, in] → [N, out], through sgemm.

/// A dense (fully connected) layer. The weight is [out, in] as in PyTorch (`<name>.weight`, so
/// torchvision's `classifier.weight` loads as is; Keras stores the transpose), the bias [out]
/// (`<name>.bias`, zeros).
public final class Dense: Layer {
    public let name: String
    public let weight: Parameter
    public let bias: Parameter?
    private var input: Tensor?
    /// The last forward's sharded step, if any: backward then computes per shard.
    private var shards: ShardedBatch?

    /// A layer whose weight is drawn from `random` (the same generator gives the same weights).
    public init(name: String, inputs: Int, outputs: Int, bias: Bool = true,
                initializer: WeightInit = .glorotUniform, random: CounterRandom) {
        self.name = name
        let w = Tensor(zeros: [outputs, inputs])
        initializer.draw(w, fanIn: inputs, fanOut: outputs, random: random)
        weight = Parameter(name: "\(name).weight", value: w)
        self.bias = bias ? Parameter(name: "\(name).bias", value: Tensor(zeros: [outputs])) : nil
    }

    public var inputs: Int { weight.value.shape[1] }
    public var outputs: Int { weight.value.shape[0] }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 2 && inputShape[1] == inputs,
                     "\(name): expects [N, \(inputs)], got \(inputShape)")
        return [inputShape[0], outputs]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let y = Tensor(zeros: outputShape(for: x.shape))
        let n = x.shape[0]
        if let bias {
            for i in 0..<n { (y.data + i * outputs).update(from: bias.value.data, count: outputs) }
        }
        shards = context.shards
        forEachImageRange(shards, batch: n) { rows in
            sgemm(transA: false, transB: true, m: rows.count, n: outputs, k: inputs, alpha: 1,
                  a: x.data + rows.lowerBound * inputs, lda: inputs, b: weight.value.data, ldb: inputs,
                  beta: bias == nil ? 0 : 1, c: y.data + rows.lowerBound * outputs, ldc: outputs)
        }
        input = x
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("\(name): backward before forward") }
        let n = x.shape[0]
        /// The gradients of rows `rows` (the whole batch, or one shard) added into `dw` and `db`.
        func addGradients(_ rows: Range<Int>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) {
            if weight.trainable {
                // dW += dyᵀ·x
                sgemm(transA: true, transB: false, m: outputs, n: inputs, k: rows.count, alpha: 1,
                      a: dy.data + rows.lowerBound * outputs, lda: outputs, b: x.data + rows.lowerBound * inputs,
                      ldb: inputs, beta: 1, c: dw, ldc: inputs)
            }
            if let db {
                // Samples in order, so the sum does not depend on threads.
                for i in rows {
                    let row = dy.data + i * outputs
                    for o in 0..<outputs { db[o] += row[o] }
                }
            }
        }
        let trainableBias = bias.flatMap { $0.trainable ? $0 : nil }
        if let shards {
            shards.forEachShard { k, rows in
                addGradients(rows, dw: shards.gradient(of: weight, shard: k),
                             db: trainableBias.map { shards.gradient(of: $0, shard: k) })
            }
        } else {
            addGradients(0..<n, dw: weight.grad.data, db: trainableBias?.grad.data)
        }
        let dx = Tensor(zeros: x.shape)
        forEachImageRange(shards, batch: n) { rows in
            sgemm(transA: false, transB: false, m: rows.count, n: inputs, k: outputs, alpha: 1,
                  a: dy.data + rows.lowerBound * outputs, lda: outputs, b: weight.value.data, ldb: inputs, beta: 0,
                  c: dx.data + rows.lowerBound * inputs, ldc: inputs)
        }
        return dx
    }
}
