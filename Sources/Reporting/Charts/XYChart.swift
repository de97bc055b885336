// One x–y chart as SVG: title, grid, axes with ticks and titles, then either lines (with shaded
// bands) and a legend beside the plot (so it never covers data), points labelled with their names, or
// one column of marks per category; points may carry error bars and a ring per individual value.

/// One plotted value, with the interval around it on either axis when it has one (an error bar).
struct ChartPoint {
    let x: Double
    let y: Double
    var xRange: Interval? = nil
    var yRange: Interval? = nil
}

/// A named run of points; empty when the variant recorded nothing to plot.
struct ChartSeries {
    let name: String
    let points: [ChartPoint]
    /// A shaded band along the line: at each x, from `low` to `high`.
    var band: [(x: Double, low: Double, high: Double)] = []
    /// Individual values drawn as small rings (one per seed), beside the points they summarise.
    var scatter: [(x: Double, y: Double)] = []
}

/// How an axis maps its values; the range itself always comes from the data.
enum AxisKind {
    case linear(padding: Double = 0, bounds: ClosedRange<Double>? = nil, minimumStep: Double = 0,
                fromZero: Bool = false)
    case logarithmic
    /// One named position per category, at 1, 2, …
    case categories([String])

    func scale(covering values: [Double], pixels: (Double, Double)) -> ChartScale {
        switch self {
        case .linear(let padding, let bounds, let minimumStep, let fromZero):
            ChartScale.linear(covering: values, pixels: pixels, padding: padding, bounds: bounds,
                              minimumStep: minimumStep, fromZero: fromZero)
        case .logarithmic:
            ChartScale.logarithmic(covering: values, pixels: pixels)
        case .categories(let names):
            ChartScale.categorical(names, pixels: pixels)
        }
    }
}

struct XYChart {
    enum Style {
        /// Points joined per series, identified by a legend to the right of the plot.
        case lines
        /// Unjoined points, each labelled with its series name; no legend is needed.
        case labelledPoints
        /// Unjoined points over a categorical x axis, whose ticks name them.
        case categorical
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
        let x = xAxis.scale(covering: xValues, pixels: (left, right))
        let y = yAxis.scale(covering: yValues, pixels: (bottom, top))

        canvas.text(title, x: Double(Self.width) / 2, y: 28, anchor: .middle, size: 16, bold: true)
        // Without data, ticks would label a range that means nothing; the axes keep only their titles.
        drawAxes(on: &canvas, x: x, y: y, plot: (left, top, right, bottom), ticks: !points.isEmpty)
        if points.isEmpty {
            canvas.text(emptyMessage, x: (left + right) / 2, y: (top + bottom) / 2, anchor: .middle,
                        size: 13, fill: ChartPalette.mutedText)
        }
        // Bands go under every line, so no series hides another's line.
        for (index, run) in series.enumerated() where run.band.count > 1 {
            let upper = run.band.map { (x: x.pixel($0.x), y: y.pixel(y.clamped($0.high))) }
            let lower = run.band.reversed().map { (x: x.pixel($0.x), y: y.pixel(y.clamped($0.low))) }
            canvas.area(upper + lower, fill: ChartPalette.colour(index), opacity: 0.15)
        }
        for (index, run) in series.enumerated() {
            let colour = ChartPalette.colour(index)
            let pixels = run.points.map { (x: x.pixel($0.x), y: y.pixel($0.y)) }
            if style == .lines, pixels.count > 1 {
                canvas.polyline(pixels, stroke: colour)
            }
            for point in run.points { drawErrorBars(point, on: &canvas, x: x, y: y, colour: colour) }
            for value in run.scatter { canvas.ring(x: x.pixel(value.x), y: y.pixel(value.y), stroke: colour) }
            for point in pixels {
                canvas.marker(ChartPalette.shape(index), x: point.x, y: point.y, fill: colour,
                              size: style == .lines ? 4.5 : 6.5)
            }
        }
        switch style {
        case .lines: drawLegend(on: &canvas, x: right + 20, y: top + 6)
        case .labelledPoints: drawPointLabels(on: &canvas, x: x, y: y, plot: (left, top, right, bottom))
        case .categorical: break
        }
        return canvas.document(title: title)
    }

    /// Every value the axes must cover: points, their error bars, bands and individual values.
    private var xValues: [Double] {
        series.flatMap { run in
            run.points.flatMap { [$0.x] + ($0.xRange.map { [$0.low, $0.high] } ?? []) } + run.band.map(\.x) + run.scatter.map(\.x)
        }
    }

    private var yValues: [Double] {
        series.flatMap { run in
            run.points.flatMap { [$0.y] + ($0.yRange.map { [$0.low, $0.high] } ?? []) }
                + run.band.flatMap { [$0.low, $0.high] } + run.scatter.map(\.y)
        }
    }

    /// A line with end caps across each interval of `point`, cut at the axes' ends.
    private func drawErrorBars(_ point: ChartPoint, on canvas: inout SVGCanvas, x: ChartScale, y: ChartScale,
                               colour: String) {
        let px = x.pixel(point.x), py = y.pixel(point.y), cap = 5.0
        if let range = point.yRange {
            let (low, high) = (y.pixel(y.clamped(range.low)), y.pixel(y.clamped(range.high)))
            canvas.line(px, low, px, high, stroke: colour, width: 1.5)
            canvas.line(px - cap, low, px + cap, low, stroke: colour, width: 1.5)
            canvas.line(px - cap, high, px + cap, high, stroke: colour, width: 1.5)
        }
        if let range = point.xRange {
            let (low, high) = (x.pixel(x.clamped(range.low)), x.pixel(x.clamped(range.high)))
            canvas.line(low, py, high, py, stroke: colour, width: 1.5)
            canvas.line(low, py - cap, low, py + cap, stroke: colour, width: 1.5)
            canvas.line(high, py - cap, high, py + cap, stroke: colour, width: 1.5)
        }
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

    /// Labels sit right of their point and its error bar (left of them near the right edge) and are
    /// pushed down when they would overlap a label above them.
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
                let py = y.pixel(point.y)
                // Clear of the point's horizontal error bar, if it has one.
                let right = x.pixel(x.clamped(point.xRange?.high ?? point.x)) + 9
                let left = x.pixel(x.clamped(point.xRange?.low ?? point.x)) - 9
                let textWidth = SVGCanvas.estimatedWidth(run.name)
                let fitsRight = right + textWidth <= plot.right
                let extent = fitsRight ? right...(right + textWidth) : (left - textWidth)...left
                labels.append(Label(text: run.name, x: fitsRight ? right : left, y: py + 4,
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
