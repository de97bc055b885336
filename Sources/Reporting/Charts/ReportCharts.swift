// The report's four charts: test accuracy per variant (mean, 95 % interval, every seed), validation
// accuracy and loss per epoch (as the study drew them: the mean over seeds, with a ±1 sd band), and
// test accuracy against training time with intervals on both axes, the trade-off the study is about.

enum ReportCharts {
    static let testAccuracyFile = "test-accuracy.svg"
    static let validationAccuracyFile = "validation-accuracy.svg"
    static let validationLossFile = "validation-loss.svg"
    static let accuracyVersusTimeFile = "accuracy-vs-time.svg"

    /// Mean and 95 % interval per variant, each seed as a ring beside them.
    static func testAccuracy(_ statistics: ReportStatistics) -> String {
        let series = statistics.variants.enumerated().map { index, s -> ChartSeries in
            let position = Double(index + 1), runs = s.variant.runs
            // The seeds spread over a narrow strip right of the mean's error bar.
            let spread = runs.enumerated().map { k, run in
                (x: position + 0.2 + (runs.count > 1 ? 0.16 * (Double(k) / Double(runs.count - 1) - 0.5) : 0),
                 y: 100 * run.testAccuracy)
            }
            return ChartSeries(name: s.variant.name,
                               points: [ChartPoint(x: position, y: 100 * s.accuracy.mean, yRange: percent(s.accuracy.interval))],
                               scatter: spread)
        }
        return XYChart(
            title: "Test accuracy per variant: mean, 95 % CI and each seed", xTitle: "Variant",
            yTitle: "Test accuracy (%)", xAxis: .categories(statistics.variants.map(\.variant.name)),
            yAxis: .linear(padding: 0.08, bounds: 0...100), series: series, style: .categorical,
            emptyMessage: "No variants").svg()
    }

    static func validationAccuracy(_ report: ComparisonReport) -> String {
        perEpoch(report, title: "Validation accuracy per epoch (mean over seeds, \u{00B1}1 sd)",
                 yTitle: "Validation accuracy (%)", yAxis: .linear(padding: 0.05, bounds: 0...100), scale: 100,
                 value: \.validationAccuracy)
    }

    static func validationLoss(_ report: ComparisonReport) -> String {
        perEpoch(report, title: "Validation loss per epoch (mean over seeds, \u{00B1}1 sd)",
                 yTitle: "Validation loss (cross-entropy)", yAxis: .linear(padding: 0.05, bounds: 0...Double.infinity),
                 scale: 1, value: \.validationLoss)
    }

    /// Seconds for short runs, minutes for long ones; a log axis once the mean times span more than
    /// 10×, so a cheap frozen variant does not squash the others into one corner.
    static func accuracyVersusTime(_ statistics: ReportStatistics) -> String {
        let times = statistics.variants.map(\.seconds.mean)
        let inMinutes = (times.max() ?? 0) >= 120
        let unit = inMinutes ? 60.0 : 1.0
        let positive = times.filter { $0 > 0 }
        let logarithmic = positive.count == times.count
            && (positive.max() ?? 0) > 10 * (positive.min() ?? .infinity)
        let series = statistics.variants.map { s in
            ChartSeries(name: "\(s.variant.name) (\(ReportNumberText.percent(s.accuracy.mean, decimals: 1)), "
                            + "\(ReportNumberText.duration(s.seconds.mean)))",
                        points: [ChartPoint(x: s.seconds.mean / unit, y: 100 * s.accuracy.mean,
                                            xRange: s.seconds.interval.map { Interval(low: $0.low / unit, high: $0.high / unit) },
                                            yRange: percent(s.accuracy.interval))])
        }
        return XYChart(
            title: "Test accuracy against training time (means, 95 % CI)",
            xTitle: "Training time (\(inMinutes ? "min" : "s")\(logarithmic ? ", log scale" : ""))",
            yTitle: "Test accuracy (%)",
            xAxis: logarithmic ? .logarithmic : .linear(padding: 0.08, bounds: 0...Double.infinity, fromZero: true),
            yAxis: .linear(padding: 0.08, bounds: 0...100),
            series: series, style: .labelledPoints, emptyMessage: "No variants").svg()
    }

    /// The mean over seeds of `value` per epoch as a line, ±1 sd across seeds as a band.
    private static func perEpoch(_ report: ComparisonReport, title: String, yTitle: String, yAxis: AxisKind,
                                 scale: Double, value: KeyPath<EpochAverage, SampleSummary>) -> String {
        let series = report.variants.map { variant in
            let epochs = EpochAverage.of(variant)
            return ChartSeries(
                name: variant.name,
                points: epochs.map { ChartPoint(x: Double($0.epoch), y: scale * $0[keyPath: value].mean) },
                band: epochs.compactMap { e in
                    e[keyPath: value].standardDeviation.map { sd in
                        let mean = e[keyPath: value].mean
                        return (x: Double(e.epoch), low: scale * (mean - sd), high: scale * (mean + sd))
                    }
                })
        }
        return XYChart(title: title, xTitle: "Epoch", yTitle: yTitle,
                       xAxis: .linear(bounds: 0...Double.infinity, minimumStep: 1), yAxis: yAxis,
                       series: series, style: .lines, emptyMessage: "No per-epoch curves recorded").svg()
    }

    private static func percent(_ interval: Interval?) -> Interval? {
        interval.map { Interval(low: 100 * $0.low, high: 100 * $0.high) }
    }
}
