// Curves of named series over steps as one SVG line chart, for callers outside the report (`tlab
// serve` draws a stage run's metrics, and several stage runs' overlaid, with it).

/// A line chart of per-step values, in the report's chart style.
public enum CurveChart {
    /// One line: its legend name and its (step, value) points; non-finite values are left out.
    public struct Series: Sendable {
        public let name: String
        public let points: [(step: Int, value: Double)]

        public init(name: String, points: [(step: Int, value: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// The chart as an SVG document, steps on the x axis (`xTitle`), values on the y axis.
    public static func svg(title: String, xTitle: String = "Epoch", yTitle: String, series: [Series]) -> String {
        XYChart(title: title, xTitle: xTitle, yTitle: yTitle,
                xAxis: .linear(bounds: 0...Double.infinity, minimumStep: 1), yAxis: .linear(padding: 0.08),
                series: series.map { line in
                    ChartSeries(name: line.name, points: line.points.filter { $0.value.isFinite }.map {
                        ChartPoint(x: Double($0.step), y: $0.value)
                    })
                },
                style: .lines, emptyMessage: "No points recorded yet").svg()
    }
}
