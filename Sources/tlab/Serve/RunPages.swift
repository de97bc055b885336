// The runs list (newest first, filterable, with the counts `tlab runs` prints) and one run's page: its
// DAG coloured by state, each stage run with its key, parameters, time and why it ran, its curves
// overlaid, and links to its report and to a comparison.
import Foundation
import Pipeline
import Reporting
import Store

struct RunPages {
    let site: WebSite

    /// Runs, newest first; `status`, `pipeline` and `host` narrow the list (also without JavaScript,
    /// through the form); the text box narrows it further as one types.
    func list(_ request: WebRequest) throws -> String {
        let status = request.value("status").flatMap { $0.isEmpty ? nil : $0 }
        let pipeline = request.value("pipeline").flatMap { $0.isEmpty ? nil : $0 }
        let host = request.value("host").flatMap { $0.isEmpty ? nil : $0 }
        if let status, RunStatus(rawValue: status) == nil {
            throw WebError.badRequest("status '\(status)' is not one of "
                + RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let all = try site.store.lineage.runs()
        let runs = all.filter { run in
            (status == nil || run.status.rawValue == status) && (pipeline == nil || run.pipeline == pipeline)
                && (host == nil || run.host == host)
        }
        var rows: [[String]] = []
        for run in runs {
            let listing = RunsCommand.Listing(run: run, stages: try site.store.lineage.stageRuns(ofRun: run.id!))
            rows.append([
                HTML.link("/runs/\(run.id!)", "\(run.id!)"), HTML.escape(run.pipeline), HTML.status(run.status.rawValue),
                HTML.escape(run.host), HTML.escape(DisplayFormat.date(run.started)),
                HTML.escape(listing.seconds.map(DisplayFormat.seconds) ?? "-"),
                "\(listing.computed)", "\(listing.cached)", "\(listing.failed)",
                HTML.escape(listing.seeds.isEmpty ? "-" : DisplayFormat.ranges(listing.seeds)),
            ])
        }
        func options(_ values: [String], selected: String?) -> String {
            (["<option value=\"\">any</option>"] + values.map { value in
                "<option\(value == selected ? " selected" : "")>\(HTML.escape(value))</option>"
            }).joined()
        }
        let pipelines = Set(all.map(\.pipeline)).sorted(), hosts = Set(all.map(\.host)).sorted()
        var body = """
            <form class="filters" method="get" action="/">
            <label>Status <select name="status">\(options(RunStatus.allCases.map(\.rawValue), selected: status))</select></label>
            <label>Pipeline <select name="pipeline">\(options(pipelines, selected: pipeline))</select></label>
            <label>Host <select name="host">\(options(hosts, selected: host))</select></label>
            <button type="submit">Filter</button>
            <input id="run-filter" type="search" placeholder="narrow as you type" aria-label="narrow the list">
            </form>
            """
        if all.isEmpty {
            body += "<p>No runs in this store yet; <code>tlab run</code> starts one.</p>"
        } else {
            body += "<p class=\"muted\">\(runs.count) of \(all.count) runs.</p>"
            body += HTML.table(["Run", "Pipeline", "Status", "Host", "Started", "Duration", "Computed", "Cached", "Failed", "Seeds"],
                               rows, id: "runs")
        }
        return HTML.page(title: "Runs", store: site.storeName, body: body)
    }

    func run(_ id: Int64) throws -> String {
        let run = try site.run(id)
        let details = try site.store.lineage.stageRuns(ofRun: id).map { try site.stageRun($0.id!) }
        let listing = RunsCommand.Listing(run: run, stages: details.map(\.record))
        var body = "<dl class=\"facts\">"
        for (name, value) in [
            ("Pipeline", HTML.escape(run.pipeline)), ("Status", HTML.status(run.status.rawValue)),
            ("Host", HTML.escape("\(run.host) (pid \(run.pid))")), ("Started", HTML.escape(DisplayFormat.date(run.started))),
            ("Duration", HTML.escape(listing.seconds.map(DisplayFormat.seconds) ?? "-")),
            ("Stages", "\(listing.computed) computed, \(listing.cached) cached, \(listing.failed) failed"),
            ("Pipeline hash", "<code>\(HTML.escape(DisplayFormat.short(run.pipelineHash)))</code>"),
            ("tlab", HTML.escape(run.toolVersion)),
        ] {
            body += "<dt>\(name)</dt><dd>\(value)</dd>"
        }
        body += "</dl><p>"
        if details.contains(where: { $0.record.kind == StageKind.report.rawValue && $0.record.status == .finished }) {
            body += HTML.link("/runs/\(id)/report", "Report") + " · "
        }
        body += HTML.link("/compare?a=\(id)", "Compare with another run") + "</p>"
        body += "<h2>Stages</h2><div class=\"dag\">\(DAGDrawing(details: details).svg())</div>"
        var rows: [[String]] = []
        for detail in details {
            let record = detail.record
            let why = try StageRunPage(site: site).why(detail, pipeline: run.pipeline)
            rows.append([
                WebSite.stageRunLink(record), HTML.escape(record.kind), HTML.status(WebSite.state(record)),
                "<code>\(HTML.escape(DisplayFormat.short(record.key)))</code>",
                HTML.escape(record.seconds.map(DisplayFormat.seconds) ?? "-"),
                HTML.escape(StageParameterText.notable(record).map { "\($0.name)=\($0.value)" }.joined(separator: " ")),
                HTML.escape(why.joined(separator: "; ")) + (record.error.map { "<div class=\"error\">\(HTML.escape($0))</div>" } ?? ""),
            ])
        }
        body += HTML.table(["Stage", "Kind", "State", "Key", "Time", "Parameters", "Why it ran"], rows, id: "stages")
        let (curves, running) = try self.curves(ofRun: id)
        body += "<h2>Curves</h2><div class=\"charts\"" + (running ? " data-live=\"/runs/\(id)/curves\"" : "") + ">\(curves)</div>"
        return HTML.page(title: "Run \(id) · \(run.pipeline)", store: site.storeName, body: body)
    }

    /// One chart per training metric, every stage run of the run that recorded it overlaid (seeds and
    /// variants side by side), and whether the run is still going.
    func curves(ofRun id: Int64) throws -> (html: String, running: Bool) {
        let run = try site.run(id)
        let stageRuns = try site.store.lineage.stageRuns(ofRun: id)
        var series: [String: [CurveChart.Series]] = [:]
        for record in stageRuns {
            for (name, points) in try Self.curves(of: record, store: site.store) {
                series[name, default: []].append(CurveChart.Series(name: record.stage, points: points))
            }
        }
        let charts = Self.metricOrder(series.keys).map { name in
            CurveChart.svg(title: "\(name) per epoch", yTitle: name, series: series[name]!)
        }
        let html = charts.isEmpty ? "<p class=\"muted\">No stage of this run has recorded per-epoch curves yet.</p>"
            : charts.joined(separator: "\n")
        return (html, run.status == .running)
    }

    /// A stage run's per-epoch metrics by name (those with steps from 1; single figures such as
    /// test_accuracy are at step 0).
    static func curves(of record: StageRunRecord, store: PipelineStore) throws -> [String: [(step: Int, value: Double)]] {
        var curves: [String: [(step: Int, value: Double)]] = [:]
        for point in try store.lineage.metrics(ofStageRun: record.id!) where point.step > 0 {
            curves[point.name, default: []].append((point.step, point.value))
        }
        return curves
    }

    /// The training metrics first, in the order a training log prints them; any others after, by name.
    static func metricOrder(_ names: some Sequence<String>) -> [String] {
        let known = ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
        return names.sorted { (known.firstIndex(of: $0) ?? known.count, $0) < (known.firstIndex(of: $1) ?? known.count, $1) }
    }
}
