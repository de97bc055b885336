// The report's three charts: validation accuracy and loss per epoch (as the study drew them) and
// test accuracy against training time, the trade-off the study is about.

enum ReportCharts {
    static let validationAccuracyFile = "validation-accuracy.svg"
    static let validationLossFile = "validation-loss.svg"
    static let accuracyVersusTimeFile = "accuracy-vs-time.svg"

    static func validationAccuracy(_ report: ComparisonReport) -> String {
        perEpoch(report, title: "Validation accuracy per epoch", yTitle: "Validation accuracy (%)",
                 yAxis: .linear(padding: 0.05, bounds: 0...100)) { $0.validationAccuracy * 100 }
    }

    static func validationLoss(_ report: ComparisonReport) -> String {
        perEpoch(report, title: "Validation loss per epoch", yTitle: "Validation loss (cross-entropy)",
                 yAxis: .linear(padding: 0.05, bounds: 0...Double.infinity)) { $0.validationLoss }
    }

    /// Seconds for short runs, minutes for long ones; a log axis once the times span more than 10×,
    /// so a cheap frozen variant does not squash the others into one corner.
    static func accuracyVersusTime(_ report: ComparisonReport) -> String {
        let times = report.variants.map(\.trainingSeconds)
        let inMinutes = (times.max() ?? 0) >= 120
        let unit = inMinutes ? 60.0 : 1.0
        let positive = times.filter { $0 > 0 }
        let logarithmic = positive.count == times.count
            && (positive.max() ?? 0) > 10 * (positive.min() ?? .infinity)
        let series = report.variants.map { variant in
            ChartSeries(name: "\(variant.name) (\(ReportNumberText.percent(variant.testAccuracy, decimals: 1)), "
                            + "\(ReportNumberText.duration(variant.trainingSeconds)))",
                        points: [(x: variant.trainingSeconds / unit, y: variant.testAccuracy * 100)])
        }
        return XYChart(
            title: "Test accuracy against training time",
            xTitle: "Training time (\(inMinutes ? "min" : "s")\(logarithmic ? ", log scale" : ""))",
            yTitle: "Test accuracy (%)",
            xAxis: logarithmic ? .logarithmic : .linear(padding: 0.08, bounds: 0...Double.infinity, fromZero: true),
            yAxis: .linear(padding: 0.08, bounds: 0...100),
            series: series, style: .labelledPoints, emptyMessage: "No variants").svg()
    }

    private static func perEpoch(_ report: ComparisonReport, title: String, yTitle: String, yAxis: AxisKind,
                                 value: (EpochRecord) -> Double) -> String {
        let series = report.variants.map { variant in
            ChartSeries(name: variant.name, points: variant.curves.map { (x: Double($0.epoch), y: value($0)) })
        }
        return XYChart(title: title, xTitle: "Epoch", yTitle: yTitle,
                       xAxis: .linear(bounds: 0...Double.infinity, minimumStep: 1), yAxis: yAxis,
                       series: series, style: .lines, emptyMessage: "No per-epoch curves recorded").svg()
    }
}
