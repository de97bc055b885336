// Fine-tuning seeds nested in pretraining seeds: measurements in groups, one group per backbone. The
// backbones are the independent units, so the grand mean is the mean of the backbone means and its
// interval comes from the spread of those means, whose variance σ²_between + σ²_within/n holds both
// levels. The one-way random-effects analysis of variance splits the spread into the part between
// backbones and the part within them (Montgomery, Design and Analysis of Experiments, §13.1; checked
// against its loom example in StatisticsTests).

/// A two-level sample: values grouped by backbone.
struct NestedSample: Equatable, Sendable {
    /// How many values each group holds, in group order.
    let groupSizes: [Int]
    /// Each group's mean, in group order.
    let means: [Double]
    /// The mean, sd and 95 % interval of the group means: its mean is the grand mean of the group
    /// means, its interval mean ± t(0.975; groups − 1)·sd/√groups.
    let groupMeans: SampleSummary
    /// The pooled variance within groups, Σ_b Σ_i (y_bi − ȳ_b)² / (N − groups): the fine-tuning seeds'
    /// own variance. Nil when no group has two values.
    let withinVariance: Double?
    /// The variance component between groups, (MS_between − MS_within)/n₀ with
    /// MS_between = Σ_b n_b (ȳ_b − ȳ)² / (groups − 1) around the mean ȳ of all values and
    /// n₀ = (N − Σ n_b²/N)/(groups − 1) (n for groups of n), clipped at zero as a variance cannot be
    /// negative. Nil for one group, or when the within variance is unknown.
    let betweenVariance: Double?

    init(_ groups: [[Double]]) {
        precondition(!groups.isEmpty && groups.allSatisfy { !$0.isEmpty }, "a nested sample needs non-empty groups")
        groupSizes = groups.map(\.count)
        let means = groups.map { $0.reduce(0, +) / Double($0.count) }
        self.means = means
        groupMeans = SampleSummary(means)
        let total = groupSizes.reduce(0, +), count = groups.count
        var withinSquares = 0.0
        for (group, mean) in zip(groups, means) {
            for value in group { withinSquares += (value - mean) * (value - mean) }
        }
        withinVariance = total > count ? withinSquares / Double(total - count) : nil
        guard count > 1, let within = withinVariance else {
            betweenVariance = nil
            return
        }
        let overall = groups.joined().reduce(0, +) / Double(total)
        var betweenSquares = 0.0, sizeSquares = 0.0
        for (size, mean) in zip(groupSizes, means) {
            betweenSquares += Double(size) * (mean - overall) * (mean - overall)
            sizeSquares += Double(size * size)
        }
        let n0 = (Double(total) - sizeSquares / Double(total)) / Double(count - 1)
        betweenVariance = max(0, (betweenSquares / Double(count - 1) - within) / n0)
    }
}

/// Two independent samples compared by their means with Welch's t: the difference, its standard
/// error √(s₁²/n₁ + s₂²/n₂), and the Welch–Satterthwaite degrees of freedom. Used where the design
/// pairs nothing: a variant nested in backbones against one that stands on none (random init).
struct WelchComparison: Equatable, Sendable {
    let difference: Double
    /// Nil when either sample has a single value (no variance to estimate).
    let standardError: Double?
    let degreesOfFreedom: Double?
    let interval: Interval?
    let t: Double?
    /// Two-sided; nil where t is.
    let p: Double?

    init(_ a: SampleSummary, _ b: SampleSummary) {
        difference = a.mean - b.mean
        guard let sa = a.standardDeviation, let sb = b.standardDeviation else {
            (standardError, degreesOfFreedom, interval, t, p) = (nil, nil, nil, nil, nil)
            return
        }
        let va = sa * sa / Double(a.count), vb = sb * sb / Double(b.count)
        let se = (va + vb).squareRoot()
        guard se > 0 else {
            (standardError, degreesOfFreedom, interval) = (0, nil, Interval(low: difference, high: difference))
            (t, p) = difference == 0 ? (nil, 1) : (difference > 0 ? .infinity : -.infinity, 0)
            return
        }
        let df = (va + vb) * (va + vb) / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        let half = StudentT.quantile(1 - (1 - SampleSummary.confidence) / 2, degreesOfFreedom: df) * se
        (standardError, degreesOfFreedom) = (se, df)
        interval = Interval(low: difference - half, high: difference + half)
        t = difference / se
        p = StudentT.twoSidedP(difference / se, degreesOfFreedom: df)
    }
}
