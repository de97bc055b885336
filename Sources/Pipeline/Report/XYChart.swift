// One x–y chart as SVG: title, grid, axes with ticks and titles, then either lines with a legend
// beside the plot (so it never covers data) or points labelled with their names.

/// A named run of points; empty when the variant recorded nothing to plot.
struct ChartSeries {
    let name: String
    let points: [(x: Double, y: Double)]
}

/// How an axis maps its values; the range itself always comes from the data.
enum AxisKind {
    case linear(padding: Double = 0, bounds: ClosedRange<Double>? = nil, minimumStep: Double = 0,
                fromZero: Bool = false)
    case logarithmic

    func scale(covering values: [Double], pixels: (Double, Double)) -> ChartScale {
        switch self {
        case .linear(let padding, let bounds, let minimumStep, let fromZero):
            ChartScale.linear(covering: values, pixels: pixels, padding: padding, bounds: bounds,
                              minimumStep: minimumStep, fromZero: fromZero)
        case .logarithmic:
            ChartScale.logarithmic(covering: values, pixels: pixels)
        }
    }
}

struct XYChart {
    enum Style {
        /// Points joined per series, identified by a legend to the right of the plot.
        case lines
        /// Unjoined points, each labelled with its series name; no legend is needed.
        case labelledPoints
    }

    let title: String
    let xTitle: String
    let yTitle: String
    let xAxis: AxisKind
    let yAxis: AxisKind
    let series: [ChartSeries]
    let style: Style
    /// Shown in the plot area when no series has a point.
    let emptyMessage: String

    static let width = 720
    static let height = 440

    func svg() -> String {
        var canvas = SVGCanvas(width: Self.width, height: Self.height)
        let legendWidth = style == .lines ? (legendEntries.map { SVGCanvas.estimatedWidth($0) }.max() ?? 0) + 48 : 0
        let left = 72.0, top = 48.0
        let right = Double(Self.width) - 24 - legendWidth
        let bottom = Double(Self.height) - 58
        let points = series.flatMap(\.points)
        let x = xAxis.scale(covering: points.map(\.x), pixels: (left, right))
        let y = yAxis.scale(covering: points.map(\.y), pixels: (bottom, top))

        canvas.text(title, x: Double(Self.width) / 2, y: 28, anchor: .middle, size: 16, bold: true)
        // Without data, ticks would label a range that means nothing; the axes keep only their titles.
        drawAxes(on: &canvas, x: x, y: y, plot: (left, top, right, bottom), ticks: !points.isEmpty)
        if points.isEmpty {
            canvas.text(emptyMessage, x: (left + right) / 2, y: (top + bottom) / 2, anchor: .middle,
                        size: 13, fill: ChartPalette.mutedText)
        }
        for (index, run) in series.enumerated() {
            let pixels = run.points.map { (x: x.pixel($0.x), y: y.pixel($0.y)) }
            if style == .lines, pixels.count > 1 {
                canvas.polyline(pixels, stroke: ChartPalette.colour(index))
            }
            for point in pixels {
                canvas.marker(ChartPalette.shape(index), x: point.x, y: point.y, fill: ChartPalette.colour(index),
                              size: style == .lines ? 4.5 : 6.5)
            }
        }
        switch style {
        case .lines: drawLegend(on: &canvas, x: right + 20, y: top + 6)
        case .labelledPoints: drawPointLabels(on: &canvas, x: x, y: y, plot: (left, top, right, bottom))
        }
        return canvas.document(title: title)
    }

    private var legendEntries: [String] {
        series.map { $0.points.isEmpty ? "\($0.name) (no data)" : $0.name }
    }

    private func drawAxes(on canvas: inout SVGCanvas, x: ChartScale, y: ChartScale,
                          plot: (left: Double, top: Double, right: Double, bottom: Double), ticks: Bool) {
        for tick in ticks ? x.ticks : [] {
            let px = x.pixel(tick)
            canvas.line(px, plot.top, px, plot.bottom, stroke: ChartPalette.grid)
            canvas.line(px, plot.bottom, px, plot.bottom + 5, stroke: ChartPalette.axis)
            canvas.text(x.tickLabel(tick), x: px, y: plot.bottom + 19, anchor: .middle)
        }
        for tick in ticks ? y.ticks : [] {
            let py = y.pixel(tick)
            canvas.line(plot.left, py, plot.right, py, stroke: ChartPalette.grid)
            canvas.line(plot.left - 5, py, plot.left, py, stroke: ChartPalette.axis)
            canvas.text(y.tickLabel(tick), x: plot.left - 8, y: py + 4, anchor: .end)
        }
        canvas.line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: ChartPalette.axis)
        canvas.line(plot.left, plot.top, plot.left, plot.bottom, stroke: ChartPalette.axis)
        canvas.text(xTitle, x: (plot.left + plot.right) / 2, y: plot.bottom + 44, anchor: .middle, size: 13)
        canvas.text(yTitle, x: 20, y: (plot.top + plot.bottom) / 2, anchor: .middle, size: 13, rotated: true)
    }

    private func drawLegend(on canvas: inout SVGCanvas, x: Double, y: Double) {
        for (index, entry) in legendEntries.enumerated() {
            let rowY = y + Double(index) * 22
            let colour = ChartPalette.colour(index)
            if !series[index].points.isEmpty {
                canvas.line(x, rowY, x + 28, rowY, stroke: colour, width: 2)
            }
            canvas.marker(ChartPalette.shape(index), x: x + 14, y: rowY, fill: colour)
            canvas.text(entry, x: x + 36, y: rowY + 4,
                        fill: series[index].points.isEmpty ? ChartPalette.mutedText : "#222222")
        }
    }

    /// Labels sit right of their point (left of it near the right edge) and are pushed down when they
    /// would overlap a label above them.
    private func drawPointLabels(on canvas: inout SVGCanvas, x: ChartScale, y: ChartScale,
                                 plot: (left: Double, top: Double, right: Double, bottom: Double)) {
        struct Label {
            var text: String
            var x: Double
            var y: Double
            var anchor: SVGCanvas.Anchor
            /// The horizontal pixels the text covers, to tell which labels can collide.
            var extent: ClosedRange<Double>
        }
        var labels: [Label] = []
        for run in series {
            for point in run.points {
                let px = x.pixel(point.x), py = y.pixel(point.y)
                let textWidth = SVGCanvas.estimatedWidth(run.name)
                let fitsRight = px + 9 + textWidth <= plot.right
                let extent = fitsRight ? (px + 9)...(px + 9 + textWidth) : (px - 9 - textWidth)...(px - 9)
                labels.append(Label(text: run.name, x: fitsRight ? px + 9 : px - 9, y: py + 4,
                                    anchor: fitsRight ? .start : .end, extent: extent))
            }
        }
        let lineHeight = 15.0
        labels.sort { ($0.y, $0.text) < ($1.y, $1.text) }
        for i in labels.indices {
            for j in 0..<i where labels[j].extent.overlaps(labels[i].extent)
                && labels[i].y - labels[j].y < lineHeight {
                labels[i].y = labels[j].y + lineHeight
            }
        }
        for label in labels {
            canvas.text(label.text, x: label.x, y: min(label.y, plot.bottom - 4), anchor: label.anchor)
        }
    }
}
