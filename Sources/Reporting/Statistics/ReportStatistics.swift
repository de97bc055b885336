// The figures across seeds a report shows, derived from the per-seed results when it is rendered:
// per variant, mean, standard deviation and 95 % interval of each measure; per pair of variants, the
// paired comparison of test accuracy over the seeds both ran, with Holm-adjusted p-values; per epoch,
// the curves averaged over seeds. A variant on several backbones (`pretrain_seeds`) is summarised over
// its backbone means, the seeds nested in them (NestedSample). docs/statistics.md explains the choices.

struct ReportStatistics {
    /// The level a Holm-adjusted p-value must be under for a difference to count as shown.
    static let significanceLevel = 0.05

    /// One variant's measures across its seeds, or, on several backbones, across its backbone means.
    struct VariantSummary {
        let variant: VariantResult
        /// The pretraining seeds of the backbones the runs are nested in; empty when they stand on one
        /// backbone or none.
        let backbones: [Int]
        /// Test accuracy of each seed's selected epoch: the figure the summary and comparisons use.
        let accuracy: SampleSummary
        let lastEpochAccuracy: SampleSummary
        let loss: SampleSummary
        let seconds: SampleSummary
        /// Test accuracy's variance between and within backbones; nil without backbones.
        let accuracyNesting: NestedSample?

        init(_ variant: VariantResult) {
            self.variant = variant
            let groups = variant.backboneGroups
            let nested = groups.count > 1
            backbones = nested ? groups.compactMap(\.backbone) : []
            func summary(_ value: (SeedResult) -> Double) -> SampleSummary {
                nested ? NestedSample(groups.map { $0.runs.map(value) }).groupMeans : SampleSummary(variant.runs.map(value))
            }
            accuracy = summary(\.testAccuracy)
            lastEpochAccuracy = summary(\.lastEpochTestAccuracy)
            loss = summary(\.testLoss)
            seconds = summary(\.trainingSeconds)
            accuracyNesting = nested ? NestedSample(groups.map { $0.runs.map { 100 * $0.testAccuracy } }) : nil
        }
    }

    /// Two variants' test accuracies compared: differences `first − second`, in points.
    struct Comparison {
        /// What the comparison pairs: seeds (one backbone or none), backbones (both variants nested in
        /// the same backbones: per backbone, the mean of the differences of the seeds both ran on it),
        /// or nothing (one variant nested in backbones, the other on none: Welch's t on the means).
        enum Pairing: Equatable { case bySeed, byBackbone, unpaired }

        let first: String
        let second: String
        let pairing: Pairing
        /// The seeds both ran (on some backbone both stand on, when paired by backbone), in the first
        /// variant's order; every seed of either variant when unpaired.
        let seeds: [Int]
        /// The backbones both stand on, when paired by backbone; empty otherwise.
        let backbones: [Int]
        /// Over accuracy in percentage points, so intervals read as "2.1 points": over seeds, or over
        /// backbone means when paired by backbone; nil when unpaired.
        let paired: PairedComparison?
        let unpaired: WelchComparison?
        /// The t-test's p-value after Holm's adjustment over every comparison that has one.
        let adjustedP: Double?

        var mean: Double { paired?.differences.mean ?? unpaired!.difference }
        /// The standard deviation of the paired differences; nil when unpaired.
        var standardDeviation: Double? { paired?.differences.standardDeviation }
        var interval: Interval? { paired?.differences.interval ?? unpaired?.interval }
        var t: Double? { paired.map(\.t) ?? unpaired?.t }
        var p: Double? { paired.map(\.tTestP) ?? unpaired?.p }
        var signFlipP: Double? { paired?.signFlipP }
        /// The independent units the interval rests on: pairs of seeds, backbones, or nil when unpaired.
        var pairs: Int? { paired?.pairs }
        var significant: Bool { (adjustedP ?? 1) < ReportStatistics.significanceLevel }
        /// Every seed gave both variants the same test accuracy.
        var identical: Bool { paired.map { $0.differences.mean == 0 && ($0.differences.standardDeviation ?? 0) == 0 } ?? false }
    }

    let variants: [VariantSummary]
    let comparisons: [Comparison]

    init(_ report: ComparisonReport) {
        variants = report.variants.map(VariantSummary.init)
        var pairs = [Comparison]()
        for (i, a) in variants.enumerated() {
            for b in variants[(i + 1)...] {
                if let comparison = Self.compare(a, b) { pairs.append(comparison) }
            }
        }
        let tested = pairs.indices.filter { pairs[$0].p != nil }
        let adjusted = holmAdjusted(tested.map { pairs[$0].p! })
        comparisons = pairs.enumerated().map { index, c in
            Comparison(first: c.first, second: c.second, pairing: c.pairing, seeds: c.seeds, backbones: c.backbones,
                       paired: c.paired, unpaired: c.unpaired, adjustedP: tested.firstIndex(of: index).map { adjusted[$0] })
        }
    }

    /// `a` against `b` as their design allows, before Holm's adjustment; nil when they share nothing to pair.
    private static func compare(_ a: VariantSummary, _ b: VariantSummary) -> Comparison? {
        let (first, second) = (a.variant.name, b.variant.name)
        func points(_ runs: [SeedResult], _ seeds: [Int]) -> [Double] {
            seeds.map { s in 100 * runs.first { $0.seed == s }!.testAccuracy }
        }
        switch (a.backbones.isEmpty, b.backbones.isEmpty) {
        case (true, true):
            let seeds = a.variant.seeds.filter(b.variant.seeds.contains)
            guard !seeds.isEmpty else { return nil }
            return Comparison(first: first, second: second, pairing: .bySeed, seeds: seeds, backbones: [],
                              paired: PairedComparison(points(a.variant.runs, seeds), points(b.variant.runs, seeds)),
                              unpaired: nil, adjustedP: nil)
        case (false, false):
            let groupsB = b.variant.backboneGroups
            var backbones = [Int](), seeds = [Int](), meansA = [Double](), meansB = [Double]()
            for group in a.variant.backboneGroups {
                guard let runsB = groupsB.first(where: { $0.backbone == group.backbone })?.runs else { continue }
                let common = group.runs.map(\.seed).filter { s in runsB.contains { $0.seed == s } }
                guard let backbone = group.backbone, !common.isEmpty else { continue }
                backbones.append(backbone)
                for seed in common where !seeds.contains(seed) { seeds.append(seed) }
                meansA.append(points(group.runs, common).reduce(0, +) / Double(common.count))
                meansB.append(points(runsB, common).reduce(0, +) / Double(common.count))
            }
            guard !backbones.isEmpty else { return nil }
            return Comparison(first: first, second: second, pairing: .byBackbone, seeds: seeds, backbones: backbones,
                              paired: PairedComparison(meansA, meansB), unpaired: nil, adjustedP: nil)
        default:
            let inPoints = { (s: VariantSummary) in
                s.backbones.isEmpty ? SampleSummary(s.variant.runs.map { 100 * $0.testAccuracy })
                    : s.accuracyNesting!.groupMeans
            }
            var seeds = a.variant.seeds
            for seed in b.variant.seeds where !seeds.contains(seed) { seeds.append(seed) }
            return Comparison(first: first, second: second, pairing: .unpaired, seeds: seeds, backbones: [], paired: nil,
                              unpaired: WelchComparison(inPoints(a), inPoints(b)), adjustedP: nil)
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
    /// The runs by the backbone they fine-tuned, in order of first appearance: one group (backbone nil)
    /// when they stand on one backbone or none.
    var backboneGroups: [(backbone: Int?, runs: [SeedResult])] {
        var groups = [(backbone: Int?, runs: [SeedResult])]()
        for run in runs {
            if let index = groups.firstIndex(where: { $0.backbone == run.backbone }) {
                groups[index].runs.append(run)
            } else {
                groups.append((run.backbone, [run]))
            }
        }
        return groups
    }

    /// The confusion counts of every seed added up: test predictions pooled over the seeds.
    var pooledConfusion: ConfusionMatrix {
        var counts = runs[0].confusion.counts
        for run in runs.dropFirst() {
            for t in counts.indices { for p in counts[t].indices { counts[t][p] += run.confusion.counts[t][p] } }
        }
        return ConfusionMatrix(classNames: runs[0].confusion.classNames, counts: counts)
    }
}
