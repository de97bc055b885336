// An artifact: what `tlab show` tells of it (tensors with their figures, or its text), who made it and
// who read it, its whole lineage up or down as clickable stage runs and artifacts, and its bytes.
import Foundation
import Store

struct ArtifactPages {
    let site: WebSite

    func page(_ hashPrefix: String) throws -> String {
        let artifact = try site.store.lineage.artifact(hashPrefix: hashPrefix)
        let shown = try ShowCommand.shown(artifact, in: site.store)
        let hash = artifact.hash
        var body = "<dl class=\"facts\"><dt>Hash</dt><dd><code>\(hash)</code></dd>"
            + "<dt>Type</dt><dd>\(HTML.escape(artifact.mediaType.rawValue))</dd>"
            + "<dt>Size</dt><dd>\(HTML.escape("\(DisplayFormat.bytes(artifact.rawBytes)) (\(DisplayFormat.bytes(artifact.storedBytes)) stored)"))</dd>"
        if let producer = shown.producedBy {
            body += "<dt>Made by</dt><dd>\(HTML.link("/stage-runs/\(producer.stageRun)", producer.stage)) "
                + "[\(HTML.escape(producer.kind))], \(HTML.link("/runs/\(producer.run)", "run \(producer.run)"))</dd>"
        }
        if let removed = artifact.removed {
            body += "<dt>Removed</dt><dd>\(HTML.escape(DisplayFormat.date(removed))) (by gc or verify)</dd>"
        }
        body += "</dl><p>"
            + (artifact.removed == nil ? "<a id=\"download\" href=\"/artifacts/\(hash)/download\">Download</a> · " : "")
            + HTML.link("/artifacts/\(hash)/lineage", "Lineage up (computed from)") + " · "
            + HTML.link("/artifacts/\(hash)/lineage?walk=down", "Lineage down (used by)") + "</p>"
        if let tensors = shown.tensors {
            body += HTML.table(["Tensor", "DType", "Shape", "Min", "Max", "Mean", "NaN"], tensors.map { t in
                let figures = [t.statistics?.min, t.statistics?.max, t.statistics?.mean].map { value in
                    value.map { String(format: "%.6g", $0) } ?? "-"
                }
                return [HTML.escape(t.name), HTML.escape(t.dtype), "[" + t.shape.map(String.init).joined(separator: ", ") + "]"]
                    + figures + ["\(t.statistics?.nanCount ?? 0)"]
            }, id: "tensors")
            let metadata = (shown.metadata ?? [:]).sorted { $0.key < $1.key }
            if !metadata.isEmpty {
                body += "<h2>Metadata</h2>" + HTML.table(["Key", "Value"], metadata.map { [HTML.escape($0.key), HTML.escape($0.value)] })
            }
        } else if artifact.mediaType == .svg, artifact.removed == nil {
            body += "<div class=\"charts\"><img src=\"/artifacts/\(hash)/raw\" alt=\"the SVG artifact\"></div>"
        } else if let text = shown.text {
            let readable = artifact.mediaType == .json ? ShowCommand.indentedJSON(text) ?? text : text
            body += "<pre>\(HTML.escape(readable))</pre>"
        } else {
            body += "<p class=\"muted\">Raw bytes: download them, or <code>tlab export \(DisplayFormat.short(hash)) FILE</code>.</p>"
        }
        return HTML.page(title: "Artifact \(DisplayFormat.short(hash))", store: site.storeName, body: body)
    }

    /// Every stage run on the way up (what the artifact was computed from) or down (what was computed
    /// from it), nearest first, with the artifacts each read and wrote.
    func lineage(_ hashPrefix: String, down: Bool) throws -> String {
        let hash = try site.store.lineage.artifact(hashPrefix: hashPrefix).hash
        let graph = down ? try site.store.lineage.descendants(of: hash) : try site.store.lineage.ancestors(of: hash)
        var rows: [[String]] = []
        for node in graph.stageRuns {
            let record = node.stageRun
            let edges = graph.edges.filter { $0.stageRunID == record.id! }
            func ports(_ role: LineageGraph.PortRole) -> String {
                edges.filter { $0.role == role }.map { "\(HTML.escape($0.port)) \(WebSite.artifactLink($0.artifactHash))" }
                    .joined(separator: "<br>")
            }
            rows.append(["\(node.depth)", WebSite.stageRunLink(record), HTML.escape(record.kind),
                         HTML.link("/runs/\(record.runID)", "run \(record.runID)"), HTML.status(WebSite.state(record)),
                         ports(.input), ports(.output)])
        }
        let body = "<p>\(down ? "Computed from" : "What made") \(WebSite.artifactLink(hash)), nearest first · "
            + (down ? HTML.link("/artifacts/\(hash)/lineage", "walk up instead") : HTML.link("/artifacts/\(hash)/lineage?walk=down", "walk down instead"))
            + "</p>"
            + (rows.isEmpty ? "<p class=\"muted\">\(down ? "Nothing was computed from it yet." : "It has no recorded origin.")</p>"
                : HTML.table(["Depth", "Stage", "Kind", "Run", "State", "Reads", "Writes"], rows, id: "lineage"))
        return HTML.page(title: "Lineage \(down ? "down" : "up") of \(DisplayFormat.short(hash))", store: site.storeName, body: body)
    }

    /// The artifact's bytes as stored (uncompressed), as a download or, for the report's charts, inline.
    func bytes(_ hashPrefix: String, attachment: Bool) throws -> WebResponse {
        let artifact = try site.store.lineage.artifact(hashPrefix: hashPrefix)
        guard artifact.removed == nil else {
            throw WebError.notFound("artifact \(DisplayFormat.short(artifact.hash)) was removed from the store (gc or verify); "
                + "running its stage again brings it back")
        }
        let data = try site.store.blobs.read(artifact.hash)
        var headers: [(String, String)] = []
        if attachment {
            headers.append(("Content-Disposition", "attachment; filename=\"\(DisplayFormat.short(artifact.hash))\(Self.fileExtension(artifact.mediaType))\""))
        }
        return WebResponse(status: 200, contentType: artifact.mediaType.rawValue, body: data, headers: headers)
    }

    static func fileExtension(_ type: MediaType) -> String {
        switch type {
        case .tensor: ".safetensors"
        case .json: ".json"
        case .markdown: ".md"
        case .csv: ".csv"
        case .svg: ".svg"
        case .raw: ".bin"
        }
    }
}
