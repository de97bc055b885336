// A few measurements (one per seed) summarised as a paper reports them: mean, standard deviation and
// a 95 % confidence interval of the mean from Student's t distribution.
import Foundation

/// A closed interval of real numbers.
struct Interval: Equatable, Sendable {
    let low: Double
    let high: Double
}

/// Mean, sample standard deviation and Student-t confidence interval of `values`.
struct SampleSummary: Equatable, Sendable {
    static let confidence = 0.95

    let count: Int
    let mean: Double
    /// With n − 1 in the denominator; nil for fewer than two values.
    let standardDeviation: Double?
    /// mean ± t(0.975; n − 1)·sd/√n; nil for fewer than two values, where no interval exists.
    let interval: Interval?

    init(_ values: [Double]) {
        precondition(!values.isEmpty, "a summary needs at least one value")
        count = values.count
        mean = values.reduce(0, +) / Double(count)
        guard count > 1 else {
            (standardDeviation, interval) = (nil, nil)
            return
        }
        let mean = self.mean
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)).squareRoot()
        let half = Self.criticalT(degreesOfFreedom: count - 1) * sd / Double(count).squareRoot()
        standardDeviation = sd
        interval = Interval(low: mean - half, high: mean + half)
    }

    /// t(0.975; df): the half-width of a 95 % interval in standard errors.
    static func criticalT(degreesOfFreedom df: Int) -> Double {
        StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: Double(df))
    }
}
