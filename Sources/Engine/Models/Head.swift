// The classifier head as a network of its own: built from a `HeadConfig`'s layer list, trainable on cached
// backbone features [N, C, H, W], and describing itself as rows `head.<kind><n>`.

/// The head's layers, numbered per kind (`head.dense1`, `head.bn2`, …) in the order its `HeadConfig` lists them.
public final class Head: TrainableNetwork {
    let layers: [Layer]

    /// Builds `head` for backbone features of `featureShape` ([C, H, W]), weights drawn from `random`
    /// (stream i for layer i). Fails, naming the layer, when a layer cannot take its input.
    init(_ head: HeadConfig, featureShape: [Int], random: CounterRandom) throws {
        var layers: [Layer] = [], counts: [String: Int] = [:]
        var shape = featureShape
        func name(_ kind: String) -> String {
            counts[kind, default: 0] += 1
            return "head.\(kind)\(counts[kind]!)"
        }
        func misplaced(_ layer: String, _ needs: String) -> ModelError {
            .invalidConfig(field: "head.\(layer)", value: "on input \(shape)", expected: needs)
        }
        for (i, spec) in head.layers.enumerated() {
            let stream = random.stream(UInt64(i))
            switch spec {
            case let .globalPool(pooling):
                guard shape.count == 3 else { throw misplaced("globalPool", "a [C, H, W] feature map") }
                layers.append(GlobalPool(name: name("pool"), reduction: pooling == .max ? .max : .average))
                shape = [shape[0]]
            case .flatten:
                layers.append(Flatten(name: name("flatten")))
                shape = [shape.reduce(1, *)]
            case .batchNorm:
                guard shape.count == 1 else { throw misplaced("batchNorm", "a flat [F] input (flatten or pool first)") }
                layers.append(BatchNorm(name: name("bn"), features: shape[0], convention: .keras))
            case let .dense(units, relu, initializer):
                guard shape.count == 1 else { throw misplaced("dense", "a flat [F] input (flatten or pool first)") }
                guard units > 0 else {
                    throw ModelError.invalidConfig(field: "head.dense.units", value: "\(units)", expected: "a positive integer")
                }
                let dense = Dense(name: name("dense"), inputs: shape[0], outputs: units,
                                  initializer: initializer, random: stream)
                layers.append(dense)
                if relu { layers.append(ReLU(name: dense.name + ".relu")) }
                shape = [units]
            case let .dropout(rate):
                guard rate >= 0 && rate < 1 else {
                    throw ModelError.invalidConfig(field: "head.dropout", value: "\(rate)", expected: "a rate in [0, 1)")
                }
                layers.append(Dropout(name: name("dropout"), rate: rate, random: stream))
            }
        }
        self.layers = layers
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var batchNorms: [BatchNorm] { layers.compactMap { $0 as? BatchNorm } }
    public var namedTensors: [(name: String, tensor: Tensor)] { layerTensors(layers) }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        layers.reduce(x) { $1.forward($0, context: context) }
    }

    public func backward(logitGradient: Tensor) { _ = backward(logitGradient) }

    /// The gradient for the head's input (the backbone's output).
    func backward(_ dy: Tensor) -> Tensor {
        layers.reversed().reduce(dy) { $1.backward($0) }
    }

    /// Appends the head's rows, one per layer of its `HeadConfig`: a dense layer's ReLU shares its row.
    func describe(into table: inout LayerTable) throws {
        table.part = .head
        for (i, layer) in layers.enumerated() {
            let shape = table.shape
            switch layer {
            case let pool as GlobalPool:
                try table.add(pool.name, pool.reduction == .max ? "GlobalMaxPool" : "GlobalAvgPool", output: [shape[0]])
            case let flatten as Flatten:
                try table.add(flatten.name, "Flatten", output: [shape.reduce(1, *)])
            case let norm as BatchNorm:
                try table.batchNorm(norm)
            case let dense as Dense:
                let relu = layers.indices.contains(i + 1) && layers[i + 1] is ReLU
                try table.add(dense.name, relu ? "Dense (relu)" : "Dense", output: [dense.outputs], owner: dense)
            case let dropout as Dropout:
                try table.add(dropout.name, "Dropout \(dropout.rate)", output: shape)
            case is ReLU:
                continue
            default:
                preconditionFailure("\(layer.name): a head layer without a description")
            }
        }
    }
}
