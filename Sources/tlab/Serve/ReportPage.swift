// A run's report as a web page: the report stage's report.md turned into HTML (headings, tables, lists,
// code blocks, emphasis), its charts shown from their artifacts, and the report's other files linked.
import Foundation
import Pipeline
import Store

struct ReportPage {
    let site: WebSite

    func page(run id: Int64) throws -> String {
        let run = try site.run(id)
        let reports = try site.store.lineage.stageRuns(ofRun: id).filter {
            $0.kind == StageKind.report.rawValue && $0.status == .finished
        }
        guard let record = reports.last else {
            throw WebError.notFound("run \(id) has no finished report stage; its page lists the stages it ran")
        }
        let outputs = try site.stageRun(record.id!).outputs
        guard let markdownHash = outputs["report.md"] else {
            throw WebError.notFound("the report stage \(record.stage) of run \(id) recorded no report.md")
        }
        let markdown = String(decoding: try site.store.blobs.read(markdownHash), as: UTF8.self)
        let files = outputs.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) \(WebSite.artifactLink($0.value))" }
        let body = "<p>From \(WebSite.stageRunLink(record)) of \(HTML.link("/runs/\(id)", "run \(id)")). Files: "
            + files.joined(separator: " · ") + "</p><article class=\"report\">"
            + MarkdownHTML(files: outputs).render(markdown) + "</article>"
        return HTML.page(title: "Report of run \(id) · \(run.pipeline)", store: site.storeName, body: body)
    }
}

/// The Markdown the report writes, as HTML. Images and links naming one of the report's files point
/// at that file's artifact; anything else is shown as text.
struct MarkdownHTML {
    /// The report's files: name → artifact hash.
    let files: [String: String]

    func render(_ markdown: String) -> String {
        var out = ""
        var lines = markdown.components(separatedBy: "\n")[...]
        while let line = lines.first {
            if line.hasPrefix("```") {
                lines.removeFirst()
                var code: [String] = []
                while let next = lines.first, !next.hasPrefix("```") { code.append(next); lines.removeFirst() }
                if !lines.isEmpty { lines.removeFirst() }
                out += "<pre><code>\(HTML.escape(code.joined(separator: "\n")))</code></pre>\n"
            } else if let level = Self.headingLevel(line) {
                lines.removeFirst()
                out += "<h\(level + 1)>\(inline(String(line.dropFirst(level + 1))))</h\(level + 1)>\n"
            } else if line.hasPrefix("|") {
                var rows: [String] = []
                while let next = lines.first, next.hasPrefix("|") { rows.append(next); lines.removeFirst() }
                out += table(rows)
            } else if line.hasPrefix("- ") {
                out += "<ul>"
                while let next = lines.first, next.hasPrefix("- ") || next.hasPrefix("  ") {
                    out += "<li>\(inline(next.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "^- ", with: "", options: .regularExpression)))</li>"
                    lines.removeFirst()
                }
                out += "</ul>\n"
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty {
                lines.removeFirst()
            } else {
                var paragraph: [String] = []
                while let next = lines.first, !next.trimmingCharacters(in: .whitespaces).isEmpty, !next.hasPrefix("|"),
                      !next.hasPrefix("```"), Self.headingLevel(next) == nil, !next.hasPrefix("- ") {
                    paragraph.append(next)
                    lines.removeFirst()
                }
                out += "<p>\(inline(paragraph.joined(separator: " ")))</p>\n"
            }
        }
        return out
    }

    private static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        return (1...6).contains(hashes) && line.dropFirst(hashes).hasPrefix(" ") ? hashes : nil
    }

    /// Rows of a pipe table; the second row (dashes) separates the header.
    private func table(_ rows: [String]) -> String {
        func cells(_ row: String) -> [String] {
            var text = row.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("|") { text.removeFirst() }
            if text.hasSuffix("|") { text.removeLast() }
            return text.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var out = "<table>"
        for (index, row) in rows.enumerated() {
            let isRule = cells(row).allSatisfy { !$0.isEmpty && $0.allSatisfy { "-:".contains($0) } }
            if isRule { continue }
            let tag = index == 0 && rows.count > 1 ? "th" : "td"
            out += "<tr>" + cells(row).map { "<\(tag)>\(inline($0))</\(tag)>" }.joined() + "</tr>"
        }
        return out + "</table>\n"
    }

    /// Escapes `text`, then renders `code`, **bold**, images and links.
    func inline(_ text: String) -> String {
        var out = ""
        var rest = text[...]
        while !rest.isEmpty {
            if rest.hasPrefix("`"), let end = rest.dropFirst().firstIndex(of: "`") {
                out += "<code>\(HTML.escape(String(rest[rest.index(after: rest.startIndex)..<end])))</code>"
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("**"), let end = rest.dropFirst(2).range(of: "**") {
                out += "<strong>\(inline(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound])))</strong>"
                rest = rest[end.upperBound...]
            } else if case let (isImage, label, target, after)? = Self.linkAt(rest) {
                let href = files[target].map { "/artifacts/\($0)" + (isImage ? "/raw" : "") }
                if isImage, let href {
                    out += "<img src=\"\(HTML.escape(href))\" alt=\"\(HTML.escape(label))\">"
                } else if let href {
                    out += "<a href=\"\(HTML.escape(href))\">\(HTML.escape(label))</a>"
                } else {
                    out += HTML.escape(label) + " (" + HTML.escape(target) + ")"
                }
                rest = after
            } else {
                out += HTML.escape(String(rest.first!))
                rest = rest.dropFirst()
            }
        }
        return out
    }

    /// `![label](target)` or `[label](target)` at the start of `text`.
    private static func linkAt(_ text: Substring) -> (Bool, String, String, Substring)? {
        let isImage = text.hasPrefix("![")
        guard isImage || text.hasPrefix("[") else { return nil }
        let open = text.index(text.startIndex, offsetBy: isImage ? 2 : 1)
        guard let close = text[open...].range(of: "]("), let end = text[close.upperBound...].firstIndex(of: ")") else { return nil }
        return (isImage, String(text[open..<close.lowerBound]), String(text[close.upperBound..<end]), text[text.index(after: end)...])
    }
}
