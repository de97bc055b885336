// The report's statistics against values computed independently with SciPy 1.17.1 (each number's
// exact call is beside it), and Holm's adjustment worked by hand.
@testable import Reporting
import XCTest

final class StatisticsTests: XCTestCase {
    func testRegularizedIncompleteBetaMatchesSciPy() {
        // scipy.special.betainc(a, b, x)
        let cases: [(a: Double, b: Double, x: Double, expected: Double)] = [
            (0.5, 0.5, 0.3, 0.36901011956554536),
            (2.0, 3.5, 0.7, 0.9489796437683937),
            (10.0, 0.5, 0.95, 0.31715157546554495),
            (1.5, 20.0, 0.01, 0.06120371478345899),
        ]
        for c in cases {
            XCTAssertEqual(StudentT.regularizedIncompleteBeta(a: c.a, b: c.b, x: c.x), c.expected, accuracy: 1e-13,
                           "I_\(c.x)(\(c.a), \(c.b))")
        }
    }

    func testStudentTCDFMatchesSciPy() {
        // scipy.stats.t.cdf(x, df)
        let cases: [(x: Double, df: Double, expected: Double)] = [
            (0.5, 3, 0.6742760175759245), (2.0, 4, 0.9419417382415922), (-1.3, 7, 0.11738391769618862),
            (10.0, 2, 0.9950737714883372), (3.5, 30, 0.9992615962811778),
        ]
        for c in cases {
            XCTAssertEqual(StudentT.cdf(c.x, degreesOfFreedom: c.df), c.expected, accuracy: 1e-13, "t.cdf(\(c.x), \(c.df))")
        }
    }

    func testStudentTQuantileMatchesSciPy() {
        // scipy.stats.t.ppf(0.975, df)
        let cases: [(df: Double, expected: Double)] = [
            (1, 12.706204736174694), (2, 4.302652729749462), (3, 3.1824463052837078), (4, 2.7764451051977934),
            (9, 2.262157162798205), (29, 2.045229642132703), (100, 1.9839715185235518),
        ]
        for c in cases {
            XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: c.df), c.expected, accuracy: 1e-11, "t.ppf(0.975, \(c.df))")
            XCTAssertEqual(StudentT.quantile(0.025, degreesOfFreedom: c.df), -c.expected, accuracy: 1e-11)
        }
    }

    func testSampleSummaryMatchesSciPy() throws {
        // s = np.array([0.8920, 0.9050, 0.8870, 0.9110]); s.mean(); s.std(ddof=1);
        // scipy.stats.t.interval(0.95, 3, loc=s.mean(), scale=scipy.stats.sem(s))
        let summary = SampleSummary([0.8920, 0.9050, 0.8870, 0.9110])
        XCTAssertEqual(summary.mean, 0.89875, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(summary.standardDeviation), 0.011146748404803987, accuracy: 1e-15)
        let interval = try XCTUnwrap(summary.interval)
        XCTAssertEqual(interval.low, 0.8810130358616023, accuracy: 1e-12)
        XCTAssertEqual(interval.high, 0.9164869641383978, accuracy: 1e-12)

        let one = SampleSummary([0.9])
        XCTAssertNil(one.standardDeviation, "one seed has no spread")
        XCTAssertNil(one.interval)
    }

    func testPairedComparisonMatchesSciPy() throws {
        let a = [0.912, 0.905, 0.921, 0.899, 0.917], b = [0.890, 0.894, 0.902, 0.880, 0.905]
        let five = PairedComparison(a, b)
        // r = scipy.stats.ttest_rel(a, b); r.statistic, r.pvalue; r.confidence_interval(0.95)
        XCTAssertEqual(try XCTUnwrap(five.t), 7.689801506560519, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(five.tTestP), 0.0015383262631002642, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(five.differences.interval).low, 0.010606478748903636, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(five.differences.interval).high, 0.022593521251096392, accuracy: 1e-12)
        // scipy.stats.permutation_test((a, b), lambda x, y, axis: np.mean(x - y, axis=axis),
        //     permutation_type='samples', n_resamples=np.inf, alternative='two-sided').pvalue
        XCTAssertEqual(five.signFlipP, 0.0625, "with 5 pairs the exact test cannot go below 2/32")

        let three = PairedComparison([0.83, 0.88, 0.86], [0.81, 0.87, 0.80])
        // scipy.stats.ttest_rel([0.83, 0.88, 0.86], [0.81, 0.87, 0.80]) and its confidence_interval(0.95)
        XCTAssertEqual(try XCTUnwrap(three.t), 1.9639610121239297, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(three.tTestP), 0.18849732879931116, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(three.differences.interval).low, -0.03572410607728427, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(three.differences.interval).high, 0.09572410607728418, accuracy: 1e-12)
        XCTAssertEqual(three.signFlipP, 0.25)  // the same permutation_test call

        let eight = PairedComparison([1.2, 0.4, -0.3, 2.1, 0.9, 1.5, -0.2, 0.7], Array(repeating: 0, count: 8))
        // scipy.stats.ttest_rel(a8, np.zeros(8)); the permutation_test call above (and
        // scipy.stats.wilcoxon(a8).pvalue, which happens to agree here): 0.0390625 = 10/256
        XCTAssertEqual(try XCTUnwrap(eight.t), 2.7100131535889087, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(eight.tTestP), 0.030198438990053273, accuracy: 1e-12)
        XCTAssertEqual(eight.signFlipP, 0.0390625)
    }

    func testIdenticalAndConstantDifferences() {
        let same = PairedComparison([0.9, 0.8, 0.85], [0.9, 0.8, 0.85])
        XCTAssertEqual(same.tTestP, 1, "identical on every seed: nothing to tell apart")
        XCTAssertEqual(same.signFlipP, 1)
        XCTAssertNil(same.t)
        // Differences exact in binary (0.92 - 0.9 is not), so the standard deviation is exactly 0.
        let shifted = PairedComparison([1.5, 2.5, 3.5], [1, 2, 3])
        XCTAssertEqual(shifted.t, .infinity, "the same gain on every seed")
        XCTAssertEqual(shifted.tTestP, 0)
        XCTAssertEqual(shifted.signFlipP, 0.25)
        let single = PairedComparison([0.9], [0.8])
        XCTAssertNil(single.tTestP, "one pair gives no test")
        XCTAssertEqual(single.signFlipP, 1)
        XCTAssertNil(PairedComparison(Array(repeating: 1, count: 21), Array(repeating: 0, count: 21)).signFlipP)
    }

    func testHolmAdjustmentWorkedByHand() {
        // Sorted: 0.01·4 = 0.04; 0.03·3 = 0.09; 0.04·2 = 0.08, raised to 0.09 (never below an earlier
        // one); 0.2·1 = 0.2. Returned in the input order.
        let adjusted = holmAdjusted([0.01, 0.04, 0.03, 0.2])
        for (value, expected) in zip(adjusted, [0.04, 0.09, 0.09, 0.2]) { XCTAssertEqual(value, expected, accuracy: 1e-15) }
        XCTAssertEqual(holmAdjusted([0.3, 0.6]), [0.6, 0.6])
        XCTAssertEqual(holmAdjusted([]), [])
    }
}
