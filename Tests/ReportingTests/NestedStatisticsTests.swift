// Fine-tuning seeds nested in pretraining seeds (backbones): the two-level summary checked against a
// textbook example and SciPy 1.17.1 / NumPy 2.4.6 (each call beside its numbers), and how a report
// with several backbones summarises, compares and writes them.
@testable import Reporting
import XCTest

final class NestedStatisticsTests: XCTestCase {
    func testVarianceComponentsMatchMontgomerysLoomExample() throws {
        // Montgomery, Design and Analysis of Experiments, Example 13.1: four looms chosen at random,
        // four strength measurements each. The book gives MS_treatments = 29.73, MS_E = 1.90,
        // σ²_τ = (29.73 − 1.90)/4 = 6.96, and the 95 % interval of the overall mean from MS_treatments.
        let looms: [[Double]] = [[98, 97, 99, 96], [91, 90, 93, 92], [96, 95, 97, 95], [95, 96, 99, 98]]
        let nested = NestedSample(looms)
        XCTAssertEqual(nested.means, [97.5, 91.5, 95.75, 97])
        XCTAssertEqual(nested.groupMeans.mean, 95.4375, accuracy: 1e-12, "the grand mean of the loom means")
        XCTAssertEqual(try XCTUnwrap(nested.withinVariance), 1.8958333333333333, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(nested.betweenVariance), 6.958333333333334, accuracy: 1e-12)
        // ȳ ± t(0.975; 3)·√(MS_treatments/(a·n)): scipy.stats.ttest_1samp(means, 0).confidence_interval(0.95)
        let interval = try XCTUnwrap(nested.groupMeans.interval)
        XCTAssertEqual(interval.low, 91.0994708953922, accuracy: 1e-9)
        XCTAssertEqual(interval.high, 99.7755291046078, accuracy: 1e-9)
    }

    func testUnbalancedGroupsUseTheEffectiveGroupSize() throws {
        // n₀ = (N − Σn²/N)/(a − 1) = (9 − 29/9)/2 = 2.889; with NumPy:
        // msw = Σ((g − g.mean())²).sum()/(N − a); msb = Σ len(g)·(g.mean() − all.mean())²/(a − 1)
        let nested = NestedSample([[90.1, 91.3, 89.8], [93.0, 92.2], [88.5, 89.9, 90.4, 89.0]])
        XCTAssertEqual(nested.groupSizes, [3, 2, 4])
        XCTAssertEqual(try XCTUnwrap(nested.withinVariance), 0.6316666666666693, accuracy: 1e-10)
        // (msb − msw)/n₀ = (6.625 − 0.63167)/2.8889
        XCTAssertEqual(try XCTUnwrap(nested.betweenVariance), 2.074615384615372, accuracy: 1e-10)
        XCTAssertEqual(nested.groupMeans.mean, 90.81666666666666, accuracy: 1e-10, "each backbone weighs the same")
        XCTAssertEqual(try XCTUnwrap(nested.groupMeans.interval).low, 86.80277873894669, accuracy: 1e-9)
    }

    func testBetweenComponentIsZeroWhenBackbonesDifferLessThanSeedsPredictAndAbsentForOneBackbone() throws {
        // Means 2 and 2.5 differ less than seeds with sd √2 predict: MS_between 0.25 < MS_within 2.
        let close = NestedSample([[1, 3], [1.5, 3.5]])
        XCTAssertEqual(close.betweenVariance, 0, "a variance component is clipped at zero")
        XCTAssertEqual(close.withinVariance, 2)
        let one = NestedSample([[1, 2, 3]])
        XCTAssertNil(one.betweenVariance)
        XCTAssertNil(one.groupMeans.interval, "one backbone: nothing to measure the backbones' variance by")
        XCTAssertNil(NestedSample([[1], [2]]).withinVariance, "one seed per backbone: no within variance")
    }

    func testWelchComparisonMatchesSciPy() throws {
        // r = scipy.stats.ttest_ind([92.5, 91.0], [90.2, 89.1, 91.7, 90.0], equal_var=False)
        let welch = WelchComparison(SampleSummary([92.5, 91.0]), SampleSummary([90.2, 89.1, 91.7, 90.0]))
        XCTAssertEqual(welch.difference, 1.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(welch.t), 1.6237976320958207, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(welch.degreesOfFreedom), 2.113104530468691, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(welch.p), 0.23928528120896214, accuracy: 1e-9)
        // r.confidence_interval(0.95)
        XCTAssertEqual(try XCTUnwrap(welch.interval).low, -2.27755265927675, accuracy: 1e-8)
        XCTAssertEqual(try XCTUnwrap(welch.interval).high, 5.2775526592767505, accuracy: 1e-8)
        XCTAssertNil(WelchComparison(SampleSummary([92.5]), SampleSummary([90.2, 89.1])).t, "one value has no variance")
    }

    /// Accuracies in points, by backbone then seed: A and B on backbones 1, 2, 3 with seeds 10 and 11.
    private let a: [Int?: [Double]] = [1: [91.0, 92.0], 2: [93.5, 94.1], 3: [90.2, 91.0]]
    private let b: [Int?: [Double]] = [1: [90.0, 90.6], 2: [91.9, 92.5], 3: [90.0, 89.6]]

    private func variant(_ name: String, _ values: [Int?: [Double]], initialization: Initialization = .pretrained) -> VariantResult {
        var result = ReportFixture.variants[1]
        result.name = name
        result.initialization = initialization
        let template = result.runs[0]
        result.runs = values.keys.sorted { ($0 ?? 0) < ($1 ?? 0) }.flatMap { backbone in
            values[backbone]!.enumerated().map { index, points in
                var run = template
                (run.backbone, run.seed, run.testAccuracy) = (backbone, 10 + index, points / 100)
                return run
            }
        }
        return result
    }

    private func report(_ variants: [VariantResult]) -> ComparisonReport {
        var report = ReportFixture.report(studyFigures: [:])
        report.variants = variants
        report.backbones = 3
        return report
    }

    func testVariantsOnSeveralBackbonesAreComparedBackboneByBackbone() throws {
        let statistics = ReportStatistics(report([variant("A", a), variant("B", b)]))
        let summaryA = statistics.variants[0]
        XCTAssertEqual(summaryA.backbones, [1, 2, 3])
        XCTAssertEqual(summaryA.accuracy.mean, (91.5 + 93.8 + 90.6) / 300, accuracy: 1e-12, "the mean of backbone means")
        XCTAssertEqual(summaryA.accuracy.count, 3, "the backbones are the units of the interval, not the 6 runs")
        let c = try XCTUnwrap(statistics.comparisons.first)
        XCTAssertEqual(c.pairing, .byBackbone)
        XCTAssertEqual(c.backbones, [1, 2, 3])
        XCTAssertEqual(c.seeds, [10, 11])
        // scipy.stats.ttest_rel(backbone means of A, of B) and its confidence_interval(0.95)
        XCTAssertEqual(c.mean, 1.2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(c.t), 5.196152422706643, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(c.p), 0.03509871864598452, accuracy: 1e-10)
        XCTAssertEqual(try XCTUnwrap(c.interval).low, 0.20634491529986965, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(c.interval).high, 2.1936550847001266, accuracy: 1e-9)
        XCTAssertEqual(c.signFlipP, 0.25, "2 of the 2³ sign patterns of the backbone differences reach the observed sum")
        XCTAssertEqual(c.adjustedP, c.p, "one comparison: Holm leaves it alone")
    }

    func testARandomInitVariantIsComparedUnpairedWithANestedOne() throws {
        let scratch = variant("scratch", [nil: [90.2, 89.1, 91.7, 90.0]], initialization: .random)
        let nested = variant("A", [1: [92.0, 93.0], 2: [90.5, 91.5]])
        let statistics = ReportStatistics(report([nested, scratch]))
        let c = try XCTUnwrap(statistics.comparisons.first)
        XCTAssertEqual(c.pairing, .unpaired)
        XCTAssertNil(c.signFlipP)
        // Backbone means 92.5 and 91.0 against the four seeds: the Welch figures checked above.
        XCTAssertEqual(try XCTUnwrap(c.p), 0.23928528120896214, accuracy: 1e-9)
        XCTAssertTrue(MarkdownComparisons.sentence(c).hasSuffix("(95 % CI -2.28 to 5.28; Welch t-test p = 0.24, "
                                                                + "Holm-adjusted p = 0.24; unpaired, Welch's t-test)."),
                      MarkdownComparisons.sentence(c))
    }

    func testTheReportShowsTheVarianceBetweenAndWithinBackbones() throws {
        let files = try ReportWriter.render(report([variant("A", a), variant("B", b)]))
        let markdown = try XCTUnwrap(files["report.md"])
        XCTAssertTrue(markdown.contains(", on 3 backbones (pretraining seeds 1, 2, 3)."), markdown)
        XCTAssertTrue(markdown.contains("for them the seeds are nested in backbones"), markdown)
        // A: backbone means 91.5, 93.8, 90.6 (scipy.stats.ttest_1samp(means, 0).confidence_interval(0.95));
        // within: the pairs' variances 0.5, 0.18, 0.32 pooled, 1/3, sd 0.577; between: (MS_between − 1/3)/2
        // with MS_between = 2·var(means) = 5.4467, 2.5567, sd 1.599.
        XCTAssertTrue(markdown.contains("| A | 1, 2, 3 | 2 | 91.50, 93.80, 90.60 | 91.97 % (87.87\u{2013}96.07) | 1.60 | 0.58 |"),
                      markdown)
        XCTAssertTrue(markdown.contains("- **A** beats **B** by 1.20 points (95 % CI 0.21 to 2.19; paired t-test p = 0.035, "
                                        + "Holm-adjusted p = 0.035; sign-flip p = 0.25; 3 backbones, seeds paired within each)."),
                      markdown)
        XCTAssertTrue(markdown.contains("| A | 1 | 10 |"), "the per-seed table names each run's backbone")
        let comparisons = try XCTUnwrap(files["comparisons.csv"])
        XCTAssertTrue(comparisons.hasSuffix(",backbone,1 2 3\n"), comparisons)
        let summary = try XCTUnwrap(files["summary.csv"]).split(separator: "\n")
        XCTAssertTrue(summary[1].hasSuffix(",1 2 3,0.015990,0.005774"), String(summary[1]))
        let results = try XCTUnwrap(files["results.csv"]).split(separator: "\n")
        XCTAssertTrue(results[1].hasSuffix(",1"), "pretrain_seed is the last column: \(results[1])")
    }
}
