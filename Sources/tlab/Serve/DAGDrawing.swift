// A run's stages as an SVG graph: one column per depth (a stage stands right of every stage whose
// output it read in this run), each stage a box coloured by how it ended and linked to its page, arrows
// from producer to consumer, and a key of the colours.
import Store

struct DAGDrawing {
    let details: [StageRunDetail]

    static let boxWidth = 200.0, boxHeight = 40.0, columnGap = 56.0, rowGap = 14.0, margin = 16.0, keyHeight = 36.0

    /// Fill colours by state (`WebSite.state`); the style sheet's status colours match.
    static let colours = [
        "computed": "#2e7d32", "cached": "#1565c0", "failed": "#c62828", "interrupted": "#ef6c00", "running": "#f9a825",
    ]

    /// For each stage run (by id), the stage runs of this run whose outputs it read.
    var producers: [Int64: [Int64]] {
        var producerOf: [String: Int64] = [:]
        for detail in details {
            for hash in detail.outputs.values where producerOf[hash] == nil { producerOf[hash] = detail.record.id! }
        }
        var result: [Int64: [Int64]] = [:]
        for detail in details {
            let id = detail.record.id!
            result[id] = Set(detail.inputs.values.compactMap { producerOf[$0] }.filter { $0 != id }).sorted()
        }
        return result
    }

    /// Each stage run's column: one more than the deepest of its producers (stage runs are recorded
    /// after those they read, so one pass in id order sees every producer first).
    var columns: [Int64: Int] {
        let producers = self.producers
        var column: [Int64: Int] = [:]
        for detail in details.sorted(by: { $0.record.id! < $1.record.id! }) {
            let id = detail.record.id!
            column[id] = (producers[id] ?? []).map { (column[$0] ?? 0) + 1 }.max() ?? 0
        }
        return column
    }

    func svg() -> String {
        guard !details.isEmpty else { return "<p class=\"muted\">This run recorded no stage.</p>" }
        let column = columns, producers = self.producers
        var rows: [Int: Int] = [:]
        var position: [Int64: (x: Double, y: Double)] = [:]
        for detail in details {
            let id = detail.record.id!, c = column[id]!
            let row = rows[c, default: 0]
            rows[c] = row + 1
            position[id] = (Self.margin + Double(c) * (Self.boxWidth + Self.columnGap),
                            Self.margin + Double(row) * (Self.boxHeight + Self.rowGap))
        }
        let width = Self.margin * 2 + Double((column.values.max() ?? 0) + 1) * (Self.boxWidth + Self.columnGap) - Self.columnGap
        let graphHeight = Self.margin + Double(rows.values.max() ?? 1) * (Self.boxHeight + Self.rowGap)
        let height = graphHeight + Self.keyHeight
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" id="dag" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="system-ui, sans-serif" font-size="12">
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">\
            <path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>

            """
        for detail in details {
            let to = position[detail.record.id!]!
            for producer in producers[detail.record.id!] ?? [] {
                let from = position[producer]!
                let x1 = from.x + Self.boxWidth, y1 = from.y + Self.boxHeight / 2, x2 = to.x, y2 = to.y + Self.boxHeight / 2
                let bend = (x2 - x1) / 2
                out += "<path class=\"edge\" d=\"M\(x1),\(y1) C\(x1 + bend),\(y1) \(x2 - bend),\(y2) \(x2),\(y2)\" "
                    + "fill=\"none\" stroke=\"#78909c\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>\n"
            }
        }
        for detail in details {
            let record = detail.record, at = position[record.id!]!, state = WebSite.state(record)
            let tip = "\(record.stage) [\(record.kind)] \(state), key \(DisplayFormat.short(record.key))"
                + (record.seconds.map { ", " + DisplayFormat.seconds($0) } ?? "")
            out += """
                <a href="/stage-runs/\(record.id!)" class="node" data-stage="\(HTML.escape(record.stage))" data-state="\(state)">\
                <title>\(HTML.escape(tip))</title>\
                <rect x="\(at.x)" y="\(at.y)" width="\(Self.boxWidth)" height="\(Self.boxHeight)" rx="6" \
                fill="\(Self.colours[state] ?? "#9e9e9e")" stroke="#263238" stroke-width="1"/>\
                <text x="\(at.x + 10)" y="\(at.y + 17)" fill="#fff" font-weight="600">\(HTML.escape(Self.cut(record.stage, 26)))</text>\
                <text x="\(at.x + 10)" y="\(at.y + 32)" fill="#fff" font-size="11">\(HTML.escape(Self.cut("\(record.kind) · \(state)", 30)))</text>\
                </a>

                """
        }
        var x = Self.margin
        for state in ["computed", "cached", "running", "failed", "interrupted"] {
            out += "<rect x=\"\(x)\" y=\"\(graphHeight + 8)\" width=\"14\" height=\"14\" rx=\"3\" fill=\"\(Self.colours[state]!)\"/>"
                + "<text x=\"\(x + 20)\" y=\"\(graphHeight + 19)\" fill=\"#333\">\(state)</text>\n"
            x += 110
        }
        return out + "</svg>"
    }

    /// `text` cut to `limit` characters with an ellipsis; the box's tooltip keeps it whole.
    private static func cut(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}
