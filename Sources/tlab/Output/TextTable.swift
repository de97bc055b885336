// Aligned text columns for the listing commands.
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
