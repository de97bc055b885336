// The report's summary of a few measurements, for callers outside Reporting (`tlab serve` compares
// runs with it): the same mean and 95 % Student-t interval the report prints.

/// The mean of `values` and, for two or more, its 95 % confidence interval (`SampleSummary`).
public struct MeanInterval: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    /// nil for a single value, where no interval exists.
    public let interval: (low: Double, high: Double)?

    /// nil for no values.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let summary = SampleSummary(values)
        count = summary.count
        mean = summary.mean
        interval = summary.interval.map { ($0.low, $0.high) }
    }

    public static func == (a: MeanInterval, b: MeanInterval) -> Bool {
        a.count == b.count && a.mean == b.mean && a.interval?.low == b.interval?.low && a.interval?.high == b.interval?.high
    }
}
