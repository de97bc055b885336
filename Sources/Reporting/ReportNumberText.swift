// Locale-free number, time and date text for reports: the same values must give the same bytes on
// every machine, so nothing here consults the locale, the clock or the time zone.
import Foundation

package enum ReportNumberText {
    /// `value` rounded half away from zero to `decimals` places, `.` as decimal separator,
    /// no grouping; "n/a" for NaN or infinity.
    package static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let scale = pow(10.0, Double(decimals))
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        // Beyond 2^53 the digits are noise anyway; fall back to Swift's shortest representation.
        guard scaled < 9.0e15 else { return "\(value)" }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        var text = String(units / divisor)
        if decimals > 0 {
            let fraction = String(units % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        // A value that rounds to zero prints without a sign: "-0.00" would read as a real difference.
        return value < 0 && units > 0 ? "-" + text : text
    }

    /// A fraction in [0, 1] as a percentage: 0.8659 → "86.59 %".
    package static func percent(_ fraction: Double, decimals: Int = 2) -> String {
        fixed(fraction * 100, decimals) + " %"
    }

    /// A p-value: "0.004", "0.61", "< 0.001"; three decimals below 0.1, where the distinction matters,
    /// two above.
    static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "n/a" }
        return p < 0.001 ? "< 0.001" : fixed(p, p < 0.1 ? 3 : 2)
    }

    /// A p-value as a sentence states it: "p = 0.004", "p < 0.001".
    package static func p(_ p: Double) -> String {
        let value = pValue(p)
        return value.hasPrefix("<") ? "p \(value)" : "p = \(value)"
    }

    /// A duration the way people read it: "450 ms", "12.3 s", "4.1 min".
    package static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return fixed(seconds * 1000, 0) + " ms" }
        if seconds < 60 { return fixed(seconds, 1) + " s" }
        return fixed(seconds / 60, 1) + " min"
    }

    /// An integer with "," between groups of three digits: 7037504 → "7,037,504".
    package static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return (value < 0 ? "-" : "") + groups.joined(separator: ",")
    }

    /// A learning rate or other small positive number in scientific notation: 0.0003 → "3.0e-4".
    package static func scientific(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : "n/a" }
        var exponent = Int(floor(log10(abs(value))))
        var mantissa = value / pow(10.0, Double(exponent))
        // Rounding can carry the mantissa to 10.0 (9.96e-4 → "10.0e-4"); renormalise.
        if fixed(abs(mantissa), 1) == "10.0" {
            exponent += 1
            mantissa /= 10
        }
        return fixed(mantissa, 1) + "e" + String(exponent)
    }

    /// The date in UTC as ISO 8601, to the second: "2026-11-29T11:33:02Z".
    package static func isoDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ n: Int?) -> String { let s = String(n ?? 0); return s.count < 2 ? "0" + s : s }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }
}
