// Student's t distribution, exactly enough for confidence intervals and p-values: the CDF through the
// regularized incomplete beta function (a continued fraction, Numerical Recipes §6.4), the quantile
// by bisection on the CDF. Checked against SciPy in StatisticsTests.
import Foundation

enum StudentT {
    /// P(T ≤ t) for T with `degreesOfFreedom` > 0.
    static func cdf(_ t: Double, degreesOfFreedom df: Double) -> Double {
        precondition(df > 0, "Student's t needs positive degrees of freedom, got \(df)")
        guard t.isFinite else { return t > 0 ? 1 : 0 }
        // P(|T| > |t|) = I_x(df/2, 1/2) with x = df / (df + t²).
        let tail = regularizedIncompleteBeta(a: df / 2, b: 0.5, x: df / (df + t * t)) / 2
        return t > 0 ? 1 - tail : tail
    }

    /// Two-sided p-value of an observed t: P(|T| ≥ |t|).
    static func twoSidedP(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return regularizedIncompleteBeta(a: df / 2, b: 0.5, x: df / (df + t * t))
    }

    /// The t with P(T ≤ t) = `probability` (0 < probability < 1).
    static func quantile(_ probability: Double, degreesOfFreedom df: Double) -> Double {
        precondition(probability > 0 && probability < 1, "a quantile needs a probability in (0, 1), got \(probability)")
        if probability < 0.5 { return -quantile(1 - probability, degreesOfFreedom: df) }
        if probability == 0.5 { return 0 }
        var low = 0.0, high = 1.0
        while cdf(high, degreesOfFreedom: df) < probability { (low, high) = (high, high * 2) }
        // Bisection halves the bracket each step; 200 steps take it far below a double's resolution.
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle == low || middle == high { break }
            if cdf(middle, degreesOfFreedom: df) < probability { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 ≤ x ≤ 1.
    static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        precondition(a > 0 && b > 0 && (0...1).contains(x), "I_x(a, b) needs a, b > 0 and x in [0, 1]")
        if x == 0 || x == 1 { return x }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
        // I_x(a, b) = 1 − I_{1−x}(b, a) on the other side.
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(a: a, b: b, x: x) / a }
        return 1 - front * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
    }

    /// The continued fraction of I_x(a, b), evaluated by the modified Lentz method.
    private static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-16
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            // Even step.
            var numerator = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return result
    }
}
