// The labels file of an image folder: `file,label` lines (a header line of those two words is
// allowed), RFC 4180 quoting, relative file paths.
import Foundation

/// Each listed file's class name, in file order.
package struct LabelsCSV {
    package let entries: [(file: String, label: String)]

    /// Parses `text`; `name` identifies the file in errors (`labels.csv:3: …`).
    package init(_ text: String, name: String) throws {
        var entries: [(String, String)] = []
        var seen: [String: Int] = [:]
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = try Self.fields(of: String(line), at: "\(name):\(number)")
            guard fields.count == 2 else {
                throw DatasetError.badLayout(file: "\(name):\(number)", detail: "has \(fields.count) fields; each line is file,label")
            }
            let (file, label) = (fields[0].trimmingCharacters(in: .whitespaces), fields[1].trimmingCharacters(in: .whitespaces))
            if entries.isEmpty && seen.isEmpty && file.lowercased() == "file" && label.lowercased() == "label" { continue }
            guard !file.isEmpty, !label.isEmpty else {
                throw DatasetError.badLayout(file: "\(name):\(number)", detail: "has an empty file or label")
            }
            if let earlier = seen[file] {
                throw DatasetError.badLayout(file: "\(name):\(number)", detail: "lists \(file) again (first on line \(earlier))")
            }
            seen[file] = number
            entries.append((file, label))
        }
        guard !entries.isEmpty else { throw DatasetError.badLayout(file: name, detail: "lists no file,label lines") }
        self.entries = entries
    }

    /// The fields of one line: commas separate, double quotes quote (`""` inside quotes is a quote).
    private static func fields(of line: String, at place: String) throws -> [String] {
        var fields: [String] = [], field = "", quoted = false, wasQuoted = false
        var characters = line.makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    var lookahead = characters
                    if lookahead.next() == "\"" { field.append("\""); characters = lookahead } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.trimmingCharacters(in: .whitespaces).isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
                field = ""
            } else if c == "," {
                fields.append(field)
                field = ""
                wasQuoted = false
            } else {
                field.append(c)
            }
        }
        guard !quoted else { throw DatasetError.badLayout(file: place, detail: "has a quote that is never closed") }
        fields.append(field)
        return fields
    }

    /// The class names in order: numerically when every label is an integer ("2" before "10"),
    /// else by Unicode code points.
    package var classNames: [String] {
        let names = Set(entries.map(\.label))
        if names.allSatisfy({ Int($0) != nil }) { return names.sorted { Int($0)! < Int($1)! } }
        return names.sorted(by: codePointOrder)
    }
}
