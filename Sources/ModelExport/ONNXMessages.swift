// The ONNX messages an exported model is made of, with onnx.proto's field numbers: model, graph,
// node, attribute, tensor, value info. Each builds its `ProtobufWriter`; nothing else in the
// exporter knows a field number.

/// `TensorProto.DataType` values used here.
enum ONNXDataType: Int {
    case float = 1
    case int64 = 7
}

/// An `AttributeProto`: a named constant parameter of a node.
struct ONNXAttribute {
    let message: ProtobufWriter

    /// `AttributeProto.AttributeType` values used here.
    private enum Kind: Int { case float = 1, int = 2, string = 3, ints = 7 }

    private init(_ name: String, _ kind: Kind, _ value: (inout ProtobufWriter) -> Void) {
        var m = ProtobufWriter()
        m.string(1, name)
        value(&m)
        m.int(20, kind.rawValue)
        message = m
    }

    static func float(_ name: String, _ value: Float) -> ONNXAttribute { ONNXAttribute(name, .float) { $0.float(2, value) } }
    static func int(_ name: String, _ value: Int) -> ONNXAttribute { ONNXAttribute(name, .int) { $0.int(3, value) } }
    static func string(_ name: String, _ value: String) -> ONNXAttribute {
        ONNXAttribute(name, .string) { $0.byteString(4, Array(value.utf8)) }
    }
    static func ints(_ name: String, _ values: [Int]) -> ONNXAttribute { ONNXAttribute(name, .ints) { $0.ints(8, values) } }
}

/// A `NodeProto` of the default (`ai.onnx`) domain.
func onnxNode(_ opType: String, name: String, inputs: [String], outputs: [String],
              attributes: [ONNXAttribute] = []) -> ProtobufWriter {
    var m = ProtobufWriter()
    m.strings(1, inputs)
    m.strings(2, outputs)
    m.string(3, name)
    m.string(4, opType)
    m.messages(5, attributes.map(\.message))
    return m
}

/// A float `TensorProto` (an initializer), its values as `raw_data`.
func onnxTensor(_ name: String, dims: [Int], values: UnsafeBufferPointer<Float>) -> ProtobufWriter {
    precondition(dims.reduce(1, *) == values.count, "ONNX tensor \(name): dims \(dims) for \(values.count) values")
    var m = ProtobufWriter()
    m.ints(1, dims)
    m.int(2, ONNXDataType.float.rawValue)
    m.string(8, name)
    m.floatBytes(9, values)
    return m
}

/// An int64 `TensorProto` (shapes and sizes), its values in `int64_data`.
func onnxTensor(_ name: String, int64s values: [Int]) -> ProtobufWriter {
    var m = ProtobufWriter()
    m.ints(1, [values.count])
    m.int(2, ONNXDataType.int64.rawValue)
    m.ints(7, values)
    m.string(8, name)
    return m
}

/// One dimension of a value's shape: a fixed size, or a symbolic one (the batch).
enum ONNXDimension {
    case size(Int)
    case symbol(String)
}

/// A float tensor `ValueInfoProto` (a graph input or output).
func onnxValueInfo(_ name: String, shape: [ONNXDimension]) -> ProtobufWriter {
    var dims = ProtobufWriter()
    dims.messages(1, shape.map { dim in
        var d = ProtobufWriter()
        switch dim {
        case .size(let n): d.int(1, n)
        case .symbol(let s): d.string(2, s)
        }
        return d
    })
    var tensorType = ProtobufWriter()
    tensorType.int(1, ONNXDataType.float.rawValue)
    tensorType.message(2, dims)
    var type = ProtobufWriter()
    type.message(1, tensorType)
    var m = ProtobufWriter()
    m.string(1, name)
    m.message(2, type)
    return m
}

/// A `GraphProto`.
func onnxGraph(name: String, nodes: [ProtobufWriter], initializers: [ProtobufWriter], inputs: [ProtobufWriter],
               outputs: [ProtobufWriter]) -> ProtobufWriter {
    var m = ProtobufWriter()
    m.messages(1, nodes)
    m.string(2, name)
    m.messages(5, initializers)
    m.messages(11, inputs)
    m.messages(12, outputs)
    return m
}

/// A `ModelProto` of one graph over the default operator set at `opset`.
func onnxModel(irVersion: Int, opset: Int, producerVersion: String, docString: String, graph: ProtobufWriter,
               metadata: [(key: String, value: String)]) -> ProtobufWriter {
    var opsetImport = ProtobufWriter()
    opsetImport.string(1, "")
    opsetImport.int(2, opset)
    var m = ProtobufWriter()
    m.int(1, irVersion)
    m.string(2, "tlab")
    m.string(3, producerVersion)
    m.string(6, docString)
    m.message(7, graph)
    m.message(8, opsetImport)
    m.messages(14, metadata.map { entry in
        var e = ProtobufWriter()
        e.string(1, entry.key)
        e.string(2, entry.value)
        return e
    })
    return m
}
