// How the commands write sizes, durations, dates, hashes and paths for people.
import Foundation

enum DisplayFormat {
    /// 1536 → "1.5 KiB".
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// Seconds with a precision that suits their size: "0.042 s", "3.1 s", "95 s".
    static func seconds(_ seconds: Double) -> String {
        switch seconds {
        case ..<1: return String(format: "%.3f s", seconds)
        case ..<10: return String(format: "%.1f s", seconds)
        default: return String(format: "%.0f s", seconds)
        }
    }

    /// A local date and time to the second, as people read logs: "2026-11-29 11:50:03".
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// Sorted integers with runs of three or more written as ranges: [1, 2, 3, 5] → "1-3, 5".
    static func ranges(_ values: [Int]) -> String {
        var parts = [String](), start = 0
        while start < values.count {
            var end = start
            while end + 1 < values.count && values[end + 1] == values[end] + 1 { end += 1 }
            parts += end - start >= 2 ? ["\(values[start])-\(values[end])"] : values[start...end].map(String.init)
            start = end + 1
        }
        return parts.joined(separator: ", ")
    }

    /// The first 12 hex digits of a hash, enough to be unique in any real store.
    static func short(_ hash: String) -> String {
        String(hash.prefix(12))
    }

    /// The path as the user would type it: relative to the current folder when inside it.
    static func path(_ url: URL) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return url.path.hasPrefix(current) ? String(url.path.dropFirst(current.count)) : url.path
    }
}
