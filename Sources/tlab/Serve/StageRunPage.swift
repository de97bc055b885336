// One stage run: what it is (key, parameters, time, why it ran), its lineage one step up and down
// (inputs with the stage runs that made them, outputs with the stage runs that read them, each
// artifact linked to its page and download), and its training curves, reloaded while it runs.
import Foundation
import Pipeline
import Reporting
import Store

struct StageRunPage {
    let site: WebSite

    func page(_ id: Int64) throws -> String {
        let detail = try site.stageRun(id)
        let record = detail.record
        let run = try site.run(record.runID)
        var body = "<dl class=\"facts\">"
        let facts: [(String, String)] = [
            ("Run", HTML.link("/runs/\(run.id!)", "run \(run.id!) · \(run.pipeline)")),
            ("Kind", HTML.escape(record.kind)), ("State", HTML.status(WebSite.state(record))),
            ("Key", "<code>\(HTML.escape(record.key))</code>"),
            ("Started", HTML.escape(DisplayFormat.date(record.started))),
            ("Time", HTML.escape(record.seconds.map(DisplayFormat.seconds) ?? "-")),
            ("Host", HTML.escape("\(record.host) (pid \(record.pid))")),
            ("Why it ran", HTML.escape(try why(detail, pipeline: run.pipeline).joined(separator: "; "))),
        ]
        for (name, value) in facts { body += "<dt>\(name)</dt><dd>\(value)</dd>" }
        body += "</dl>"
        if let error = record.error { body += "<p class=\"error\">\(HTML.escape(error))</p>" }
        let parameters = StageParameterText.pairs(record.params)
        body += "<h2>Parameters</h2>" + (parameters.isEmpty ? "<p class=\"muted\">none</p>"
            : HTML.table(["Parameter", "Value"], parameters.map { [HTML.escape($0.name), "<code>\(HTML.escape($0.value))</code>"] }))

        body += "<h2>Inputs</h2>"
        var inputRows: [[String]] = []
        for (port, hash) in detail.inputs.sorted(by: { $0.key < $1.key }) {
            let producer = try site.store.lineage.artifact(hashPrefix: hash).producedBy.flatMap { try site.store.lineage.stageRun(id: $0) }
            inputRows.append([HTML.escape(port), WebSite.artifactLink(hash),
                              producer.map { WebSite.stageRunLink($0.record) + " (run \($0.record.runID))" } ?? "-",
                              HTML.link("/artifacts/\(hash)/lineage", "lineage up")])
        }
        body += inputRows.isEmpty ? "<p class=\"muted\">none (a source stage)</p>"
            : HTML.table(["Port", "Artifact", "Made by", ""], inputRows, id: "inputs")

        body += "<h2>Outputs</h2>"
        var outputRows: [[String]] = []
        for (port, hash) in detail.outputs.sorted(by: { $0.key < $1.key }) {
            let users = try site.store.lineage.descendants(of: hash).stageRuns.filter { $0.depth == 1 }.map(\.stageRun)
            let artifact = try site.store.lineage.artifact(hashPrefix: hash)
            outputRows.append([HTML.escape(port), WebSite.artifactLink(hash), HTML.escape(artifact.mediaType.rawValue),
                               HTML.escape(DisplayFormat.bytes(artifact.rawBytes)),
                               users.isEmpty ? "-" : users.map(WebSite.stageRunLink).joined(separator: ", "),
                               HTML.link("/artifacts/\(hash)/download", "download")])
        }
        body += outputRows.isEmpty ? "<p class=\"muted\">none recorded\(record.status == .finished ? "" : " (the stage has not finished)")</p>"
            : HTML.table(["Port", "Artifact", "Type", "Size", "Read by", ""], outputRows, id: "outputs")

        let (curves, running) = try self.curves(id)
        body += "<h2>Curves</h2><div class=\"charts\" id=\"curves\""
            + (running ? " data-live=\"/stage-runs/\(id)/curves\"" : "") + ">\(curves)</div>"
        let figures = try site.store.lineage.metrics(ofStageRun: id).filter { $0.step == 0 }
        if !figures.isEmpty {
            body += "<h2>Figures</h2>" + HTML.table(["Metric", "Value"], figures.map {
                [HTML.escape($0.name), String(format: "%.6g", $0.value)]
            })
        }
        return HTML.page(title: "\(record.stage) · stage run \(id)", store: site.storeName, body: body)
    }

    /// The stage run's curves, one chart per metric, and whether it is still running.
    func curves(_ id: Int64) throws -> (html: String, running: Bool) {
        let record = try site.stageRun(id).record
        let curves = try RunPages.curves(of: record, store: site.store)
        let charts = RunPages.metricOrder(curves.keys).map { name in
            CurveChart.svg(title: "\(name) per epoch", yTitle: name, series: [CurveChart.Series(name: record.stage, points: curves[name]!)])
        }
        let epochs = curves.values.map { $0.map(\.step).max() ?? 0 }.max() ?? 0
        let html = "<p class=\"muted\" id=\"epochs\" data-epochs=\"\(epochs)\">"
            + (record.status == .running ? "Running: \(epochs) epoch\(epochs == 1 ? "" : "s") so far; the charts redraw as epochs finish."
                : charts.isEmpty ? "This stage recorded no per-epoch curves." : "\(epochs) epoch\(epochs == 1 ? "" : "s").") + "</p>"
            + charts.joined(separator: "\n")
        return (html, record.status == .running)
    }

    /// Why the stage run computed or was reused, as `tlab status --why` words it: a cache hit names
    /// the stage run whose outputs it reused; a computed run lists what changed against the last
    /// finished run of the same stage in an earlier run of its pipeline.
    func why(_ detail: StageRunDetail, pipeline: String) throws -> [String] {
        let record = detail.record
        if record.cacheHit {
            let source = try detail.outputs.values.sorted().first.flatMap { try site.store.lineage.artifact(hashPrefix: $0).producedBy }
            return ["cached: same key as stage run \(source.map(String.init) ?? "?")"]
        }
        guard let json = record.material, let material = try? KeyMaterial(json: json) else {
            return ["its key material was not recorded"]
        }
        guard let previous = try site.store.lineage.stageRun(named: record.stage, pipeline: pipeline, before: record.id!) else {
            return ["never run"]
        }
        guard let previousJSON = previous.material, let previousMaterial = try? KeyMaterial(json: previousJSON) else {
            return ["its last run recorded no key material"]
        }
        let changes = material.changes(since: previousMaterial)
        return changes.isEmpty ? ["same key as stage run \(previous.id!): forced, or its outputs had left the store"]
            : changes.map(\.description)
    }
}
