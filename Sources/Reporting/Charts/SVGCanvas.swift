// A minimal SVG writer for the report's charts: shapes and text with fixed-decimal coordinates, so the
// same chart always gives the same bytes, and generic fonts that rsvg and browsers all resolve.

/// The marks that tell series apart besides colour, for readers who cannot tell the colours apart.
enum MarkerShape: CaseIterable {
    case circle, square, triangle, diamond, invertedTriangle
}

/// The report's colours: the Okabe-Ito palette, colour-blind safe, with yellow left out
/// because it disappears on white.
enum ChartPalette {
    static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    static let grid = "#E0E0E0"
    static let axis = "#333333"
    static let mutedText = "#666666"

    static func colour(_ index: Int) -> String { colours[index % colours.count] }
    static func shape(_ index: Int) -> MarkerShape {
        MarkerShape.allCases[index % MarkerShape.allCases.count]
    }
}

struct SVGCanvas {
    enum Anchor: String { case start, middle, end }

    let width: Int
    let height: Int
    private var elements: [String] = []

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                       stroke: String, width: Double = 1) {
        elements.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(n(width))\"/>")
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2) {
        let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" "
            + "stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"/>")
    }

    /// A closed shape filled with `fill` at `opacity`, no outline: a band around a line.
    mutating func area(_ points: [(x: Double, y: Double)], fill: String, opacity: Double) {
        let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        elements.append("<polygon points=\"\(list)\" fill=\"\(fill)\" fill-opacity=\"\(n(opacity))\" stroke=\"none\"/>")
    }

    /// A small hollow circle: one seed's value beside the mean's marker.
    mutating func ring(x: Double, y: Double, stroke: String, radius: Double = 3) {
        elements.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"#FFFFFF\" "
            + "stroke=\"\(stroke)\" stroke-width=\"1.5\"/>")
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        let outline = stroke.map { " stroke=\"\($0)\"" } ?? ""
        elements.append("<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "fill=\"\(fill)\"\(outline)/>")
    }

    /// A marker centred on (x, y), outlined in white so overlapping markers stay distinct.
    mutating func marker(_ shape: MarkerShape, x: Double, y: Double, fill: String, size: Double = 4.5) {
        let s = size
        let style = "fill=\"\(fill)\" stroke=\"#FFFFFF\" stroke-width=\"1\""
        switch shape {
        case .circle:
            elements.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(s))\" \(style)/>")
        case .square:
            rect(x: x - s * 0.9, y: y - s * 0.9, width: s * 1.8, height: s * 1.8, fill: fill, stroke: "#FFFFFF")
        case .triangle:
            polygon([(x, y - s * 1.2), (x + s * 1.1, y + s * 0.8), (x - s * 1.1, y + s * 0.8)], style: style)
        case .diamond:
            polygon([(x, y - s * 1.3), (x + s * 1.1, y), (x, y + s * 1.3), (x - s * 1.1, y)], style: style)
        case .invertedTriangle:
            polygon([(x, y + s * 1.2), (x + s * 1.1, y - s * 0.8), (x - s * 1.1, y - s * 0.8)], style: style)
        }
    }

    mutating func text(_ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Int = 12,
                       bold: Bool = false, fill: String = "#222222", rotated: Bool = false) {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor.rawValue)\" "
            + "fill=\"\(fill)\""
        if bold { attributes += " font-weight=\"bold\"" }
        if rotated { attributes += " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" }
        elements.append("<text \(attributes)>\(Self.escaped(content))</text>")
    }

    /// The finished document; `title` becomes the accessible name screen readers announce.
    func document(title: String) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\">\n"
        out += "<title>\(Self.escaped(title))</title>\n"
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#FFFFFF\"/>\n"
        for element in elements { out += element + "\n" }
        return out + "</svg>\n"
    }

    /// A rough width of `content` at `size` px in a generic sans-serif, for layout decisions only.
    static func estimatedWidth(_ content: String, size: Int = 12) -> Double {
        Double(content.count) * Double(size) * 0.58
    }

    private mutating func polygon(_ points: [(Double, Double)], style: String) {
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        elements.append("<polygon points=\"\(list)\" \(style)/>")
    }

    private func n(_ value: Double) -> String { ReportNumberText.fixed(value, 2) }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
