// The frame every page of `tlab serve` shares: escaping, the layout around a page's body, and the one
// style sheet and script, shipped in the binary so the pages work offline (no CDN, no framework).
import Foundation

/// Text made safe for HTML, and the page layout.
enum HTML {
    /// `text` with the five characters HTML gives meaning to escaped: safe in element content and in
    /// quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A query-string or path component: everything but unreserved characters percent-encoded.
    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// A complete page: `title` in the tab and as its heading, the store's name in the header.
    static func page(title: String, store: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · tlab</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/static/tlab.css">
        <script src="/static/tlab.js" defer></script>
        </head>
        <body>
        <header><a class="brand" href="/">tlab</a> <span class="store">\(escape(store))</span>
        <nav><a href="/">Runs</a> <a href="/compare">Compare</a> <a href="/claims">Claims</a></nav></header>
        <main>
        <h1>\(escape(title))</h1>
        \(body)
        </main>
        </body>
        </html>
        """
    }

    /// A table with a header row; cells are HTML already.
    static func table(_ headers: [String], _ rows: [[String]], id: String? = nil, classes: [String?] = []) -> String {
        var out = "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>"
        out += headers.map { "<th>\(escape($0))</th>" }.joined()
        out += "</tr></thead><tbody>"
        for (index, row) in rows.enumerated() {
            let rowClass = index < classes.count ? classes[index].map { " class=\"\($0)\"" } ?? "" : ""
            out += "<tr\(rowClass)>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }

    static func link(_ href: String, _ text: String) -> String {
        "<a href=\"\(escape(href))\">\(escape(text))</a>"
    }

    /// A status word in its colour (the DAG's key uses the same classes).
    static func status(_ word: String) -> String {
        "<span class=\"status \(escape(word))\">\(escape(word))</span>"
    }

    static let styleSheet = """
        :root { --finished: #2e7d32; --cached: #1565c0; --failed: #c62828; --interrupted: #ef6c00; --running: #f9a825; }
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
        header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1.2em; background: #263238; color: #eceff1; }
        header a { color: #eceff1; text-decoration: none; } header nav { margin-left: auto; display: flex; gap: 1em; }
        .brand { font-weight: 700; font-size: 1.2em; } .store { opacity: .75; font-family: monospace; }
        main { padding: 1em 1.5em; max-width: 1200px; }
        h1 { font-size: 1.5em; margin: .2em 0 .6em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
        table { border-collapse: collapse; margin: .5em 0; background: #fff; }
        th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
        th { background: #eceff1; } td.num, th.num { text-align: right; }
        code, .hash { font-family: monospace; font-size: .95em; }
        .status { font-weight: 600; } .status.finished, .status.computed { color: var(--finished); }
        .status.cached { color: var(--cached); } .status.failed { color: var(--failed); }
        .status.interrupted { color: var(--interrupted); } .status.running { color: #a07000; }
        .filters { display: flex; gap: .8em; align-items: center; margin: .5em 0; }
        .filters input, .filters select { font: inherit; padding: .2em .4em; }
        .muted { color: #666; } .error { color: var(--failed); white-space: pre-wrap; }
        .charts { display: flex; flex-wrap: wrap; gap: 1em; } .charts svg, .charts img { max-width: 100%; height: auto; background: #fff; }
        .dag svg { background: #fff; border: 1px solid #ddd; max-width: 100%; height: auto; }
        .dag a:hover rect { stroke-width: 3; }
        pre { background: #fff; border: 1px solid #ddd; padding: .6em; overflow-x: auto; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
        dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
        .report img { max-width: 100%; background: #fff; }
        """

    /// Filters the runs table as the user types (the form's server-side filter works without it), and
    /// reloads each `data-live` fragment every two seconds while the server says it is still running.
    static let script = """
        "use strict";
        document.addEventListener("DOMContentLoaded", () => {
          const filter = document.getElementById("run-filter");
          const table = document.getElementById("runs");
          if (filter && table) {
            filter.addEventListener("input", () => {
              const words = filter.value.toLowerCase().split(/\\s+/).filter((w) => w);
              for (const row of table.tBodies[0].rows) {
                const text = row.textContent.toLowerCase();
                row.hidden = !words.every((w) => text.includes(w));
              }
            });
          }
          for (const element of document.querySelectorAll("[data-live]")) {
            const refresh = async () => {
              try {
                const answer = await fetch(element.dataset.live, { credentials: "same-origin" });
                if (!answer.ok) return;
                element.innerHTML = await answer.text();
                if (answer.headers.get("X-Tlab-Running") === "yes") setTimeout(refresh, 2000);
                else element.dataset.finished = "yes";
              } catch (error) {
                setTimeout(refresh, 5000);
              }
            };
            setTimeout(refresh, 2000);
          }
        });
        """
}
