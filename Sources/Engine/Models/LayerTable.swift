// How a model's layers describe themselves: rows appended in execution order, each naming the layer
// object it stands for, so a row's name and tensors are that object's and its output shape is worked
// out from the object's own geometry. Rows without an object (ReLU, padding, pooling, concatenation)
// are named by the unit they belong to.

/// Rows of a model description, appended in execution order, with the current per-example shape.
struct LayerTable {
    private(set) var rows: [LayerDescription] = []
    /// Output shape of the last row: [C, H, W] for feature maps, [F] for vectors.
    private(set) var shape: [Int]
    /// The part of the model rows appended now belong to.
    var part = LayerDescription.Part.input

    init(shape: [Int]) {
        self.shape = shape
    }

    /// Appends a row producing `output`; its tensors are `layer`'s parameters, then its buffers.
    mutating func add(_ name: String, _ type: String, output: [Int], owner layer: Layer? = nil) throws {
        guard output.allSatisfy({ $0 > 0 }) else { throw ModelError.inputTooSmall(shape: shape, layer: name) }
        let parameters = layer?.parameters.map {
            TensorDescription(name: $0.name, shape: $0.value.shape, kind: .parameter(trainable: true))
        } ?? []
        let buffers = layer?.buffers.map { TensorDescription(name: $0.name, shape: $0.value.shape, kind: .buffer) } ?? []
        rows.append(LayerDescription(name: name, type: type, outputShape: output, tensors: parameters + buffers,
                                     part: part))
        shape = output
    }

    /// A convolution, over an input already padded by `padding` zero rows and columns per side when the
    /// description shows the padding as a layer of its own (Keras's ImageNet stem).
    mutating func convolution(_ conv: Conv2D, padding: Int) throws {
        let (k, s) = (conv.kernelSize, conv.stride)
        guard shape[1] + 2 * padding >= k, shape[2] + 2 * padding >= k else {
            throw ModelError.inputTooSmall(shape: shape, layer: conv.name)
        }
        let size = { ($0 + 2 * padding - k) / s + 1 }
        try add(conv.name, "Conv2D \(k)x\(k)/\(s)", output: [conv.outChannels, size(shape[1]), size(shape[2])],
                owner: conv)
    }

    /// A convolution with its own zero padding, as every DenseNet convolution but the ImageNet stem's.
    mutating func convolution(_ conv: Conv2D) throws {
        switch conv.padding {
        case .valid: try convolution(conv, padding: 0)
        case .symmetric(let p): try convolution(conv, padding: p)
        case .same, .explicit: preconditionFailure("\(conv.name): describe \(conv.padding) padding as its own row")
        }
    }

    mutating func batchNorm(_ norm: BatchNorm) throws {
        try add(norm.name, "BatchNorm", output: shape, owner: norm)
    }

    mutating func relu(_ name: String) throws {
        try add(name, "ReLU", output: shape)
    }

    mutating func zeroPadding(_ name: String, _ p: Int) throws {
        try add(name, "ZeroPadding \(p)", output: [shape[0], shape[1] + 2 * p, shape[2] + 2 * p])
    }

    /// A pooling window over an input already padded (the padding, if any, is a row of its own).
    mutating func pool(_ name: String, _ kind: String, _ window: PoolWindow) throws {
        let (k, s) = (window.kernel, window.stride)
        guard shape[1] >= k, shape[2] >= k else { throw ModelError.inputTooSmall(shape: shape, layer: name) }
        let size = { ($0 - k) / s + 1 }
        try add(name, "\(kind) \(k)x\(k)/\(s)", output: [shape[0], size(shape[1]), size(shape[2])])
    }
}
