// A model preview as `tlab model summary --json` prints it: `layers` (each with name, type,
// outputShape, parameters, frozen), `total`, `trainable`, `nonTrainable`; the rendered table is left out.

extension ModelPreview: Encodable {
    private enum CodingKeys: String, CodingKey { case layers, total, trainable, nonTrainable }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .layers)
        try c.encode(total, forKey: .total)
        try c.encode(trainable, forKey: .trainable)
        try c.encode(nonTrainable, forKey: .nonTrainable)
    }
}

extension ModelPreview.Row: Encodable {
    private enum CodingKeys: String, CodingKey { case name, type, outputShape, parameters, frozen }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encode(outputShape, forKey: .outputShape)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(frozen, forKey: .frozen)
    }
}
