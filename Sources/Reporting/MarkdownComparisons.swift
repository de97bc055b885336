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
        return [intro + nesting(comparisons), sentences, table(comparisons)]
    }

    /// How comparisons over backbones are computed, for reports that have them.
    private static func nesting(_ comparisons: [ReportStatistics.Comparison]) -> String {
        var text = ""
        if comparisons.contains(where: { $0.pairing == .byBackbone }) {
            text += " Variants on several backbones are compared backbone by backbone: on each backbone both stand "
                + "on, the mean of the seed-by-seed differences; the interval and tests are over these backbone "
                + "differences (n = backbones), so they include how much the difference moves from backbone to backbone."
        }
        if comparisons.contains(where: { $0.pairing == .unpaired }) {
            text += " A variant on several backbones and one on none (random init) share no backbone to pair by: "
                + "they are compared by Welch's t-test on the variants' means (over backbone means for the first), "
                + "unpaired, with no sign-flip test."
        }
        return text
    }

    /// What the comparison rests on: "5 seeds", "3 backbones", or the two variants' units when unpaired.
    private static func basis(_ c: ReportStatistics.Comparison) -> String {
        switch c.pairing {
        case .bySeed: return "\(c.seeds.count) seed\(c.seeds.count == 1 ? "" : "s")"
        case .byBackbone: return "\(c.backbones.count) backbone\(c.backbones.count == 1 ? "" : "s"), seeds paired within each"
        case .unpaired: return "unpaired, Welch's t-test"
        }
    }

    /// The comparison in words, the variant ahead on average named first.
    static func sentence(_ c: ReportStatistics.Comparison) -> String {
        let mean = c.mean
        let seeds = basis(c)
        let (ahead, behind) = mean >= 0 ? (c.first, c.second) : (c.second, c.first)
        let gap = "\(points(abs(mean))) points"
        if c.pairing == .bySeed && c.seeds.count == 1 {
            return "**\(ahead)** and **\(behind)** share one seed (\(c.seeds[0])): \(ahead) is ahead by \(gap), with "
                + "nothing to measure its uncertainty by."
        }
        if c.pairing == .byBackbone && c.backbones.count == 1 {
            return "**\(ahead)** and **\(behind)** share one backbone (pretraining seed \(c.backbones[0])): \(ahead) is "
                + "ahead by \(gap), with nothing to measure the backbones' part of its uncertainty by."
        }
        if c.identical {
            let units = c.pairing == .bySeed ? seeds : "seeds on \(c.backbones.count) backbones"
            return "**\(c.first)** and **\(c.second)** gave the same test accuracy on every one of their \(units): "
                + "the data cannot tell them apart."
        }
        guard let i = c.interval, let p = c.p, let adjusted = c.adjustedP else {
            return "**\(ahead)** is ahead of **\(behind)** by \(gap) (\(seeds)), with too few values to measure its "
                + "uncertainty by."
        }
        let interval = mean >= 0 ? "95 % CI \(points(i.low)) to \(points(i.high))"
            : "95 % CI \(points(-i.high)) to \(points(-i.low))"
        let tTest = "\(c.pairing == .unpaired ? "Welch" : "paired") t-test \(Text.p(p))", holm = "Holm-adjusted \(Text.p(adjusted))"
        let signFlip = c.signFlipP.map { "; sign-flip \(Text.p($0))" } ?? ""
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
            let ahead = c.mean >= 0 ? c.first : c.second
            let verdict = c.pairing == .bySeed && c.seeds.count == 1 ? "one seed"
                : c.pairing == .byBackbone && c.backbones.count == 1 ? "one backbone"
                : c.identical ? "identical"
                : c.significant ? "\(ahead) better"
                : (c.p ?? 1) < ReportStatistics.significanceLevel ? "\(ahead) ahead before correction"
                : "not shown"
            let units = c.pairing == .byBackbone ? "\(c.seeds.count) on \(c.backbones.count) backbones"
                : c.pairing == .unpaired ? "unpaired" : String(c.seeds.count)
            return ["\(c.first) \u{2212} \(c.second)", units, points(c.mean),
                    c.interval.map { "\(points($0.low)) to \(points($0.high))" } ?? dash,
                    c.t.map { Text.fixed($0, 2) } ?? dash, c.p.map(Text.pValue) ?? dash,
                    c.adjustedP.map(Text.pValue) ?? dash, c.signFlipP.map(Text.pValue) ?? dash, verdict]
        }
        return MarkdownReport.table(header: ["difference", "seeds", "mean (points)", "95 % CI (points)", "t", "p (t-test)",
                                             "p (Holm)", "p (sign-flip)", "verdict"],
                                    rightAligned: Set(1...7), rows: rows)
    }

    private static func points(_ value: Double) -> String { Text.fixed(value, 2) }
}
