// Two runs side by side: the parameters that differ stage by stage, and every metric of each stage
// (its seeds' copies pooled: mean and 95 % interval, as the report gives them).
import Foundation
import Reporting
import Store

struct ComparePage {
    let site: WebSite

    func page(_ request: WebRequest) throws -> String {
        let runs = try site.store.lineage.runs()
        func id(_ name: String) throws -> Int64? {
            guard let text = request.value(name), !text.isEmpty else { return nil }
            guard let id = Int64(text), id > 0 else {
                throw WebError.badRequest("\(name)='\(text)' is not a run id: expected a positive whole number")
            }
            return id
        }
        let a = try id("a") ?? runs.dropFirst().first?.id, b = try id("b") ?? runs.first?.id
        func choices(_ selected: Int64?) -> String {
            runs.map { run in
                "<option value=\"\(run.id!)\"\(run.id == selected ? " selected" : "")>"
                    + HTML.escape("\(run.id!) · \(run.pipeline) · \(DisplayFormat.date(run.started))") + "</option>"
            }.joined()
        }
        var body = """
            <form class="filters" method="get" action="/compare">
            <label>Run A <select name="a">\(choices(a))</select></label>
            <label>Run B <select name="b">\(choices(b))</select></label>
            <button type="submit">Compare</button></form>
            """
        guard let a, let b else {
            return HTML.page(title: "Compare runs", store: site.storeName, body: body + "<p>Two runs are needed to compare.</p>")
        }
        let runA = try site.run(a), runB = try site.run(b)
        let stagesA = try site.store.lineage.stageRuns(ofRun: a), stagesB = try site.store.lineage.stageRuns(ofRun: b)
        body += HTML.table(["", "Run A", "Run B"], [
            ["Run", HTML.link("/runs/\(a)", "run \(a)"), HTML.link("/runs/\(b)", "run \(b)")],
            ["Pipeline", HTML.escape(runA.pipeline), HTML.escape(runB.pipeline)],
            ["Status", HTML.status(runA.status.rawValue), HTML.status(runB.status.rawValue)],
            ["Started", HTML.escape(DisplayFormat.date(runA.started)), HTML.escape(DisplayFormat.date(runB.started))],
            ["Pipeline hash", "<code>\(DisplayFormat.short(runA.pipelineHash))</code>", "<code>\(DisplayFormat.short(runB.pipelineHash))</code>"],
        ], id: "runs-compared")

        body += "<h2>Parameters that differ</h2>"
        let byName = { (records: [StageRunRecord]) in Dictionary(records.map { ($0.stage, $0) }, uniquingKeysWith: { _, last in last }) }
        let namedA = byName(stagesA), namedB = byName(stagesB)
        var parameterRows: [[String]] = []
        var onlyA: [String] = [], onlyB: [String] = []
        for stage in Set(namedA.keys).union(namedB.keys).sorted() {
            guard let left = namedA[stage], let right = namedB[stage] else {
                if namedA[stage] == nil { onlyB.append(stage) } else { onlyA.append(stage) }
                continue
            }
            guard left.key != right.key else { continue }
            let pairsA = Dictionary(StageParameterText.pairs(left.params).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            let pairsB = Dictionary(StageParameterText.pairs(right.params).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            for name in Set(pairsA.keys).union(pairsB.keys).sorted() where pairsA[name] != pairsB[name] {
                parameterRows.append([HTML.escape(stage), HTML.escape(name), HTML.escape(pairsA[name] ?? "-"), HTML.escape(pairsB[name] ?? "-")])
            }
        }
        body += parameterRows.isEmpty ? "<p class=\"muted\">None: every stage the two runs share has the same parameters.</p>"
            : HTML.table(["Stage", "Parameter", "Run A", "Run B"], parameterRows, id: "parameters")
        for (run, names) in [("A", onlyA), ("B", onlyB)] where !names.isEmpty {
            body += "<p class=\"muted\">Only run \(run) ran " + HTML.escape(StageNaming.labels(names).joined(separator: ", ")) + ".</p>"
        }

        body += "<h2>Metrics</h2><p class=\"muted\">Per stage, its seeds' copies pooled: mean [95 % interval] (n). "
            + "A per-epoch curve counts with its last epoch.</p>"
        let metricsA = try figures(stagesA), metricsB = try figures(stagesB)
        var metricRows: [[String]] = []
        for key in Set(metricsA.keys).union(metricsB.keys).sorted(by: { ($0.group, $0.metric) < ($1.group, $1.metric) }) {
            metricRows.append([HTML.escape(key.group), HTML.escape(key.metric), Self.text(metricsA[key]), Self.text(metricsB[key])])
        }
        body += metricRows.isEmpty ? "<p class=\"muted\">Neither run recorded metrics.</p>"
            : HTML.table(["Stage", "Metric", "Run A", "Run B"], metricRows, id: "metrics")
        return HTML.page(title: "Compare run \(a) with run \(b)", store: site.storeName, body: body)
    }

    struct MetricKey: Hashable {
        let group: String
        let metric: String
    }

    /// Each finished stage's figures by stage group (seed copies together) and metric name.
    private func figures(_ stageRuns: [StageRunRecord]) throws -> [MetricKey: MeanInterval] {
        var values: [MetricKey: [Double]] = [:]
        for record in stageRuns where record.status == .finished {
            let group = StageNaming.split(record.stage).group
            var last: [String: (step: Int, value: Double)] = [:]
            for point in try site.store.lineage.metrics(ofStageRun: record.id!) where (last[point.name]?.step ?? -1) < point.step {
                last[point.name] = (point.step, point.value)
            }
            for (name, point) in last where point.value.isFinite {
                values[MetricKey(group: group, metric: point.step > 0 ? "final \(name)" : name), default: []].append(point.value)
            }
        }
        return values.compactMapValues(MeanInterval.init)
    }

    private static func text(_ summary: MeanInterval?) -> String {
        guard let summary else { return "-" }
        let interval = summary.interval.map { String(format: " [%.4g, %.4g]", $0.low, $0.high) } ?? ""
        return String(format: "%.4g", summary.mean) + interval + " (\(summary.count))"
    }
}
