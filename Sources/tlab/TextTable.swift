// Aligned text columns for the listing commands, and the number, size and time formats they share.
import Foundation

/// Rows of cells printed under a header, each column as wide as its widest cell; numeric columns
/// are right-aligned so digits line up.
struct TextTable {
    let header: [String]
    /// Indices of the columns to right-align.
    var rightAligned: Set<Int> = []
    private(set) var rows: [[String]] = []

    init(_ header: [String], rightAligned: Set<Int> = []) {
        self.header = header
        self.rightAligned = rightAligned
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "a table row has one cell per column")
        rows.append(row)
    }

    /// The table with a trailing newline; trailing spaces are trimmed from every line.
    func rendered() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                let pad = String(repeating: " ", count: widths[column] - row[column].count)
                return rightAligned.contains(column) ? pad + row[column] : row[column] + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }
}

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

    /// The first 12 hex digits of a hash, enough to be unique in any real store.
    static func short(_ hash: String) -> String {
        String(hash.prefix(12))
    }
}
