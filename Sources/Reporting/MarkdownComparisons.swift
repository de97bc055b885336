// The comparisons section of report.md: each pair of variants compared over their common seeds, as a
// sentence a paper would print ("frozen beats basic by 2.13 points, 95 % CI …") or a plain statement
// that the data cannot tell them apart, then the same figures as a table.

enum MarkdownComparisons {
    private typealias Text = ReportNumberText

    static func render(_ statistics: ReportStatistics) -> [String] {
        let comparisons = statistics.comparisons
        guard !comparisons.isEmpty else { return ["There is no pair of variants with a seed in common to compare."] }
        let tested = comparisons.filter { $0.adjustedP != nil }.count
        let intro = "Each pair of variants compared on test accuracy over the seeds both ran, seed by seed (paired "
            + "samples): the mean difference in percentage points with its 95 % confidence interval, the paired "
            + "t-test, and the exact sign-flip permutation test, which assumes nothing about how the differences "
            + "are distributed but cannot go below p = 2/2\u{207F} with n seeds (0.25 with 3, 0.0625 with 5). A "
            + "difference counts as shown when the t-test's p-value, Holm-adjusted over the \(tested) "
            + "comparison\(tested == 1 ? "" : "s") with a test, is below \(Text.fixed(ReportStatistics.significanceLevel, 2)); "
            + "raw p-values stand beside the adjusted ones."
        let sentences = comparisons.map { "- " + sentence($0) }.joined(separator: "\n")
        return [intro, sentences, table(comparisons)]
    }

    /// The comparison in words, the variant ahead on average named first.
    static func sentence(_ c: ReportStatistics.Comparison) -> String {
        let d = c.paired.differences
        let seeds = "\(c.seeds.count) seed\(c.seeds.count == 1 ? "" : "s")"
        let (ahead, behind) = d.mean >= 0 ? (c.first, c.second) : (c.second, c.first)
        let gap = "\(points(abs(d.mean))) points"
        if c.seeds.count == 1 {
            return "**\(ahead)** and **\(behind)** share one seed (\(c.seeds[0])): \(ahead) is ahead by \(gap), with "
                + "nothing to measure its uncertainty by."
        }
        if c.identical {
            return "**\(c.first)** and **\(c.second)** gave the same test accuracy on every one of their \(seeds): "
                + "the data cannot tell them apart."
        }
        // Two or more seeds always give an interval, a t-test and so an adjusted p-value.
        guard let i = d.interval, let p = c.paired.tTestP, let adjusted = c.adjustedP else { return "" }
        let interval = d.mean >= 0 ? "95 % CI \(points(i.low)) to \(points(i.high))"
            : "95 % CI \(points(-i.high)) to \(points(-i.low))"
        let tTest = "paired t-test \(Text.p(p))", holm = "Holm-adjusted \(Text.p(adjusted))"
        let signFlip = c.paired.signFlipP.map { "; sign-flip \(Text.p($0))" } ?? ""
        if c.significant {
            return "**\(ahead)** beats **\(behind)** by \(gap) (\(interval); \(tTest), \(holm)\(signFlip); \(seeds))."
        }
        if p < ReportStatistics.significanceLevel {
            return "**\(ahead)** is ahead of **\(behind)** by \(gap) (\(interval); \(tTest)), but not once corrected for "
                + "the other comparisons (\(holm)\(signFlip); \(seeds))."
        }
        return "The data cannot tell **\(ahead)** and **\(behind)** apart: \(ahead) is ahead by \(gap) (\(interval); "
            + "\(tTest), \(holm)\(signFlip); \(seeds))."
    }

    private static func table(_ comparisons: [ReportStatistics.Comparison]) -> String {
        let dash = MarkdownReport.dash
        let rows = comparisons.map { c -> [String] in
            let d = c.paired.differences
            let ahead = d.mean >= 0 ? c.first : c.second
            let verdict = c.seeds.count == 1 ? "one seed" : c.identical ? "identical"
                : c.significant ? "\(ahead) better"
                : (c.paired.tTestP ?? 1) < ReportStatistics.significanceLevel ? "\(ahead) ahead before correction"
                : "not shown"
            return ["\(c.first) \u{2212} \(c.second)", String(c.seeds.count), points(d.mean),
                    d.interval.map { "\(points($0.low)) to \(points($0.high))" } ?? dash,
                    c.paired.t.map { Text.fixed($0, 2) } ?? dash, c.paired.tTestP.map(Text.pValue) ?? dash,
                    c.adjustedP.map(Text.pValue) ?? dash, c.paired.signFlipP.map(Text.pValue) ?? dash, verdict]
        }
        return MarkdownReport.table(header: ["difference", "seeds", "mean (points)", "95 % CI (points)", "t", "p (t-test)",
                                             "p (Holm)", "p (sign-flip)", "verdict"],
                                    rightAligned: Set(1...7), rows: rows)
    }

    private static func points(_ value: Double) -> String { Text.fixed(value, 2) }
}
