// Maps data values onto a pixel axis and picks "nice" ticks (1-2-5 steps) for it, linear or log.
import Foundation

/// One chart axis: the data range it covers, the pixels it spans and the ticks a reader sees.
struct ChartScale {
    enum Kind { case linear, logarithmic }

    let kind: Kind
    /// Data values at the two ends of the axis.
    let lower: Double
    let upper: Double
    /// Pixel coordinates of `lower` and `upper` (for a y axis, `lowerPixel` is the larger one).
    let lowerPixel: Double
    let upperPixel: Double
    let ticks: [Double]
    /// Decimals that tell neighbouring ticks apart, so labels never repeat.
    let tickDecimals: Int
    /// Names for the ticks of a categorical axis (tick k + 1 is category k); nil for a numeric one.
    var tickNames: [String]? = nil

    func pixel(_ value: Double) -> Double {
        let t = (transformed(value) - transformed(lower)) / (transformed(upper) - transformed(lower))
        return lowerPixel + t * (upperPixel - lowerPixel)
    }

    func tickLabel(_ value: Double) -> String {
        if let tickNames, let index = Int(exactly: value - 1), tickNames.indices.contains(index) { return tickNames[index] }
        return ReportNumberText.fixed(value, kind == .logarithmic ? Self.decimals(showing: value) : tickDecimals)
    }

    /// `value` kept inside the axis, for marks (error bars) whose ends may lie beyond it.
    func clamped(_ value: Double) -> Double { min(max(value, lower), upper) }

    /// Categories at 1, 2, …, n, half a step of room at either end.
    static func categorical(_ names: [String], pixels: (Double, Double)) -> ChartScale {
        ChartScale(kind: .linear, lower: 0.5, upper: Double(names.count) + 0.5, lowerPixel: pixels.0, upperPixel: pixels.1,
                   ticks: names.indices.map { Double($0 + 1) }, tickDecimals: 0, tickNames: names)
    }

    private func transformed(_ value: Double) -> Double {
        kind == .logarithmic ? log10(value) : value
    }

    /// A linear axis covering `values` with about five ticks. `padding` (a fraction of the range) keeps
    /// extreme points off the frame; `bounds` keeps the axis inside meaningful values (0–100 %);
    /// `minimumStep` keeps ticks on whole numbers where fractions mean nothing (epochs);
    /// `fromZero` starts the axis at zero, so lengths along it compare as ratios (durations).
    static func linear(covering values: [Double], pixels: (Double, Double), padding: Double = 0,
                       bounds: ClosedRange<Double>? = nil, minimumStep: Double = 0,
                       fromZero: Bool = false) -> ChartScale {
        var low = fromZero ? min(0, values.min() ?? 0) : values.min() ?? 0
        var high = values.max() ?? 1
        if high - low <= 0 {
            // A flat range (one epoch, equal values) still needs a visible span around the value.
            let half = low == 0 ? 1 : abs(low) * 0.05
            low -= half
            high += half
        } else {
            let pad = (high - low) * padding
            low -= pad
            high += pad
        }
        if let bounds {
            low = max(low, bounds.lowerBound)
            high = min(high, bounds.upperBound)
        }
        let step = max(niceStep((high - low) / 5), minimumStep)
        let first = (low / step).rounded(.down)
        let last = (high / step).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        return ChartScale(kind: .linear, lower: first * step, upper: last * step,
                          lowerPixel: pixels.0, upperPixel: pixels.1, ticks: ticks, tickDecimals: decimals)
    }

    /// A log axis covering positive `values`, from the 1-2-5 value a little below the smallest to the
    /// one a little above the largest; ticks at every 1-2-5 value, or at powers of ten alone when that
    /// would be too many.
    static func logarithmic(covering values: [Double], pixels: (Double, Double)) -> ChartScale {
        let positive = values.filter { $0 > 0 }
        let low = positive.min() ?? 1
        let high = positive.max() ?? 10
        let lowDecade = Int(log10(low / 1.25).rounded(.down))
        let highDecade = Int(log10(high * 1.25).rounded(.up))
        let candidates = (lowDecade...highDecade).flatMap { decade in
            [1.0, 2.0, 5.0].map { $0 * pow(10.0, Double(decade)) }
        }
        // A quarter of headroom keeps the extreme points off the frame, as padding does on a linear axis.
        let lower = candidates.last { $0 <= low / 1.25 } ?? candidates[0]
        let upper = candidates.first { $0 >= high * 1.25 } ?? candidates[candidates.count - 1]
        var ticks = candidates.filter { $0 >= lower && $0 <= upper }
        if ticks.count > 9 {
            ticks = ticks.filter { ReportNumberText.fixed(log10($0), 6).hasSuffix(".000000") }
        }
        return ChartScale(kind: .logarithmic, lower: lower, upper: upper,
                          lowerPixel: pixels.0, upperPixel: pixels.1, ticks: ticks, tickDecimals: 0)
    }

    /// The 1, 2 or 5 times a power of ten nearest above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10.0, (log10(raw)).rounded(.down))
        let fraction = raw / power
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * power
    }

    private static func decimals(showing value: Double) -> Int {
        value >= 1 ? 0 : -Int((log10(value) + 1e-9).rounded(.down))
    }
}
