// A per-layer table like Keras's model.summary(): layer, type, output shape, parameter count, and the
// totals (total, trainable, non-trainable) for any model, head, freezing and input size.

/// Parameter counts of a model, per layer and in total.
public struct ModelSummary: Equatable, Sendable {
    /// One layer of the table.
    public struct Row: Equatable, Sendable {
        public let name: String
        public let type: String
        public let outputShape: [Int]
        /// Parameters and buffers the layer owns, as Keras counts them (BatchNorm: 4 per channel).
        public let count: Int
        public let isFrozen: Bool
    }

    public let rows: [Row]
    /// Every parameter and buffer element.
    public let total: Int
    /// Elements of parameters that train.
    public let trainable: Int
    /// Buffers (BatchNorm running statistics) and frozen parameters.
    public var nonTrainable: Int { total - trainable }

    public init(_ description: ModelDescription) {
        rows = description.layers.map { layer in
            Row(name: layer.name, type: layer.type, outputShape: layer.outputShape,
                count: layer.tensors.reduce(0) { $0 + $1.count }, isFrozen: layer.isFrozen)
        }
        total = rows.reduce(0) { $0 + $1.count }
        trainable = description.tensors.filter(\.isTrainable).reduce(0) { $0 + $1.count }
    }

    /// The table as fixed-width text. Shapes are per example, channels first; frozen layers are
    /// marked with `*`.
    public func rendered() -> String {
        let header = ("Layer", "Type", "Output shape", "Param #")
        let cells = rows.map { row in
            (row.name + (row.isFrozen ? " *" : ""), row.type,
             "(" + row.outputShape.map(String.init).joined(separator: ", ") + ")", Self.grouped(row.count))
        }
        let widths = (
            cells.reduce(header.0.count) { max($0, $1.0.count) },
            cells.reduce(header.1.count) { max($0, $1.1.count) },
            cells.reduce(header.2.count) { max($0, $1.2.count) },
            cells.reduce(header.3.count) { max($0, $1.3.count) }
        )
        func line(_ c: (String, String, String, String)) -> String {
            [Self.padded(c.0, widths.0), Self.padded(c.1, widths.1), Self.padded(c.2, widths.2),
             String(repeating: " ", count: widths.3 - c.3.count) + c.3].joined(separator: "  ")
        }
        let rule = String(repeating: "─", count: widths.0 + widths.1 + widths.2 + widths.3 + 6)
        var out = [rule, line(header), rule] + cells.map(line) + [rule]
        out.append("Total params: \(Self.grouped(total))")
        out.append("Trainable params: \(Self.grouped(trainable))")
        out.append("Non-trainable params: \(Self.grouped(nonTrainable))")
        if rows.contains(where: \.isFrozen) { out.append("* frozen: no gradients, BatchNorm in inference mode") }
        return out.joined(separator: "\n") + "\n"
    }

    private static func padded(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: width - s.count)
    }

    /// 7037504 → "7,037,504".
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}
