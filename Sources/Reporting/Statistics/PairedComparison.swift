// Two variants compared over the seeds both ran, as paired samples: the mean difference with its 95 %
// interval, the paired t-test, and the exact sign-flip permutation test, which assumes no normality
// but cannot reach small p-values with few seeds (its smallest is 2/2ⁿ).

/// The comparison of paired measurements `a` and `b` (same seeds, same order): differences a − b.
struct PairedComparison: Equatable, Sendable {
    /// The sign-flip test enumerates all 2ⁿ sign patterns up to this n; above it, it is not computed.
    static let largestExactPermutation = 20

    let differences: SampleSummary
    /// The paired t statistic; nil for one pair, infinite when every difference is the same non-zero value.
    let t: Double?
    /// Two-sided p-value of the paired t-test; 1 when every difference is zero, 0 when every one is
    /// the same non-zero value; nil for one pair.
    let tTestP: Double?
    /// Two-sided exact p-value of the sign-flip permutation test on the mean difference: the share of
    /// the 2ⁿ sign patterns whose |mean| is at least the observed one; nil above 20 pairs.
    let signFlipP: Double?

    var pairs: Int { differences.count }

    init(_ a: [Double], _ b: [Double]) {
        precondition(a.count == b.count && !a.isEmpty, "paired samples need equal, non-zero lengths")
        let d = zip(a, b).map { $0 - $1 }
        differences = SampleSummary(d)
        if let sd = differences.standardDeviation {
            let mean = differences.mean
            if sd > 0 {
                let t = mean / (sd / Double(d.count).squareRoot())
                (self.t, tTestP) = (t, StudentT.twoSidedP(t, degreesOfFreedom: Double(d.count - 1)))
            } else {
                (t, tTestP) = mean == 0 ? (nil, 1) : (mean > 0 ? .infinity : -.infinity, 0)
            }
        } else {
            (t, tTestP) = (nil, nil)
        }
        signFlipP = d.count <= Self.largestExactPermutation ? Self.signFlipP(d) : nil
    }

    private static func signFlipP(_ d: [Double]) -> Double {
        let observed = abs(d.reduce(0, +))
        // Sign patterns with the same |sum| in exact arithmetic may round apart; count them as ties.
        let tolerance = 1e-9 * d.reduce(0) { $0 + abs($1) }
        var atLeast = 0
        for pattern in 0..<(1 << d.count) {
            var sum = 0.0
            for (i, value) in d.enumerated() { sum += pattern & (1 << i) == 0 ? value : -value }
            if abs(sum) >= observed - tolerance { atLeast += 1 }
        }
        return Double(atLeast) / Double(1 << d.count)
    }
}

/// Holm's step-down adjustment of the p-values of m tests, in their given order: the i-th smallest
/// becomes the largest of min(1, (m − j + 1)·p₍ⱼ₎) over j ≤ i. It controls the chance of any false
/// "significant" among the m at the level the adjusted p-values are compared with.
func holmAdjusted(_ p: [Double]) -> [Double] {
    let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
    var adjusted = p, running = 0.0
    for (rank, index) in order.enumerated() {
        running = max(running, min(1, Double(p.count - rank) * p[index]))
        adjusted[index] = running
    }
    return adjusted
}
