// A stage kind's parameters as the Markdown table docs/pipeline-format.md shows, rendered from the
// declarations themselves so the documentation cannot drift from the code (a test compares them).

extension StageSchema {
    /// The parameter table: name, accepted values, default and meaning, with what stays out of the key.
    public var markdownTable: String {
        var lines = ["| parameter | type | default | meaning |", "|---|---|---|---|"]
        for spec in parameters {
            let standard: String
            switch spec.defaultValue {
            case .value(let value): standard = "`\(value)`"
            case .pipelineSeed: standard = "pipeline `seed`"
            case .absent: standard = "—"
            case .required: standard = "**required**"
            }
            var meaning = spec.doc
            if !spec.inKey {
                meaning += " *(not in the key)*"
            } else if !spec.inKeyAtDefault, case .value(let value) = spec.defaultValue {
                meaning += " *(in the key only when not `\(value)`)*"
            }
            let type = spec.type.description.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            lines.append("| `\(spec.name)` | \(type) | \(standard) | \(meaning) |")
        }
        return lines.joined(separator: "\n")
    }
}
