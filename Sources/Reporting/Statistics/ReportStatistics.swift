// The figures across seeds a report shows, derived from the per-seed results when it is rendered:
// per variant, mean, standard deviation and 95 % interval of each measure; per pair of variants, the
// paired comparison of test accuracy over the seeds both ran, with Holm-adjusted p-values; per epoch,
// the curves averaged over seeds. docs/statistics.md explains the choices.

struct ReportStatistics {
    /// The level a Holm-adjusted p-value must be under for a difference to count as shown.
    static let significanceLevel = 0.05

    /// One variant's measures across its seeds.
    struct VariantSummary {
        let variant: VariantResult
        /// Test accuracy of each seed's selected epoch: the figure the summary and comparisons use.
        let accuracy: SampleSummary
        let lastEpochAccuracy: SampleSummary
        let loss: SampleSummary
        let seconds: SampleSummary

        init(_ variant: VariantResult) {
            self.variant = variant
            accuracy = SampleSummary(variant.runs.map(\.testAccuracy))
            lastEpochAccuracy = SampleSummary(variant.runs.map(\.lastEpochTestAccuracy))
            loss = SampleSummary(variant.runs.map(\.testLoss))
            seconds = SampleSummary(variant.runs.map(\.trainingSeconds))
        }
    }

    /// Two variants' test accuracies paired by seed: differences `first − second`, in points.
    struct Comparison {
        let first: String
        let second: String
        /// The seeds both ran, in the first variant's order.
        let seeds: [Int]
        /// Over accuracy in percentage points, so intervals read as "2.1 points".
        let paired: PairedComparison
        /// The t-test's p-value after Holm's adjustment over every comparison that has one.
        let adjustedP: Double?

        var significant: Bool { (adjustedP ?? 1) < ReportStatistics.significanceLevel }
        /// Every seed gave both variants the same test accuracy.
        var identical: Bool { paired.differences.mean == 0 && (paired.differences.standardDeviation ?? 0) == 0 }
    }

    let variants: [VariantSummary]
    let comparisons: [Comparison]

    init(_ report: ComparisonReport) {
        variants = report.variants.map(VariantSummary.init)
        var pairs = [(first: String, second: String, seeds: [Int], paired: PairedComparison)]()
        for (i, a) in report.variants.enumerated() {
            for b in report.variants[(i + 1)...] {
                let seeds = a.seeds.filter(b.seeds.contains)
                guard !seeds.isEmpty else { continue }
                let points = { (v: VariantResult) in seeds.map { s in 100 * v.runs.first { $0.seed == s }!.testAccuracy } }
                pairs.append((a.name, b.name, seeds, PairedComparison(points(a), points(b))))
            }
        }
        let tested = pairs.indices.filter { pairs[$0].paired.tTestP != nil }
        let adjusted = holmAdjusted(tested.map { pairs[$0].paired.tTestP! })
        comparisons = pairs.enumerated().map { index, pair in
            Comparison(first: pair.first, second: pair.second, seeds: pair.seeds, paired: pair.paired,
                       adjustedP: tested.firstIndex(of: index).map { adjusted[$0] })
        }
    }

    /// How many times faster than the slowest variant (by mean training time) `summary` trained.
    func speedUp(of summary: VariantSummary) -> Double? {
        let slowest = variants.map(\.seconds.mean).max() ?? 0
        return summary.seconds.mean > 0 ? slowest / summary.seconds.mean : nil
    }
}

/// One epoch of a variant's curves, averaged over the seeds that ran it.
struct EpochAverage {
    let epoch: Int
    /// The seeds that ran this epoch (early stopping may end some seeds sooner).
    let seeds: [Int]
    let trainAccuracy: SampleSummary
    let trainLoss: SampleSummary
    let validationAccuracy: SampleSummary
    let validationLoss: SampleSummary
    /// The lowest and highest rate the seeds trained this epoch with (plateaus may lower it for some).
    let learningRate: Interval
    /// The seeds whose selected epoch this is.
    let selectedBy: [Int]

    /// Every epoch any seed of `variant` ran, in order.
    static func of(_ variant: VariantResult) -> [EpochAverage] {
        let epochs = Set(variant.runs.flatMap { $0.curves.map(\.epoch) }).sorted()
        return epochs.map { epoch in
            let records = variant.runs.compactMap { run in run.curves.first { $0.epoch == epoch }.map { (run.seed, $0) } }
            func summary(_ value: (EpochRecord) -> Double) -> SampleSummary { SampleSummary(records.map { value($0.1) }) }
            return EpochAverage(epoch: epoch, seeds: records.map(\.0), trainAccuracy: summary(\.trainAccuracy),
                                trainLoss: summary(\.trainLoss), validationAccuracy: summary(\.validationAccuracy),
                                validationLoss: summary(\.validationLoss),
                                learningRate: Interval(low: records.map(\.1.learningRate).min()!,
                                                       high: records.map(\.1.learningRate).max()!),
                                selectedBy: variant.runs.filter { $0.selectedEpoch == epoch }.map(\.seed))
        }
    }
}

extension VariantResult {
    /// The confusion counts of every seed added up: test predictions pooled over the seeds.
    var pooledConfusion: ConfusionMatrix {
        var counts = runs[0].confusion.counts
        for run in runs.dropFirst() {
            for t in counts.indices { for p in counts[t].indices { counts[t][p] += run.confusion.counts[t][p] } }
        }
        return ConfusionMatrix(classNames: runs[0].confusion.classNames, counts: counts)
    }
}
