// The pages of `tlab serve` by address: plain values in (`WebRequest`), plain values out
// (`WebResponse`), so the server library only carries bytes (ServeCommand.swift) and every page reads
// the store through the same Store and Pipeline APIs as the CLI.
import Foundation
import Pipeline
import Store

/// One GET request as the pages see it.
struct WebRequest {
    let path: String
    let query: [(name: String, value: String)]

    func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
}

/// What the server sends back.
struct WebResponse {
    var status: Int
    var contentType: String
    var body: Data
    var headers: [(String, String)] = []

    static func html(_ text: String, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "text/html; charset=utf-8", body: Data(text.utf8))
    }

    /// A piece of a page that the script reloads; `running` says whether to ask again.
    static func fragment(_ text: String, running: Bool) -> WebResponse {
        WebResponse(status: 200, contentType: "text/html; charset=utf-8", body: Data(text.utf8),
                    headers: [("X-Tlab-Running", running ? "yes" : "no")])
    }
}

/// A request the pages cannot answer; the message says what was asked for and what exists.
enum WebError: Error, CustomStringConvertible {
    case notFound(String)
    case badRequest(String)

    var description: String {
        switch self {
        case let .notFound(message), let .badRequest(message): return message
        }
    }
}

/// Every page, over one store opened read-only.
struct WebSite: Sendable {
    let store: PipelineStore

    /// The store's name as the header shows it: a folder's path, or a shared store's file (never a
    /// credential: `StoreLocation.name` redacts like every CLI message).
    var storeName: String { store.location.name }

    func respond(to request: WebRequest) -> WebResponse {
        var response: WebResponse
        do {
            response = try route(request)
        } catch let error as LineageError where Self.status(of: error) != nil {
            response = .html(HTML.page(title: "Not found", store: storeName,
                                       body: "<p class=\"error\">\(HTML.escape(error.description))</p>"), status: Self.status(of: error)!)
        } catch let error as WebError {
            let status = if case .notFound = error { 404 } else { 400 }
            response = .html(HTML.page(title: status == 404 ? "Not found" : "Bad request", store: storeName,
                                       body: "<p class=\"error\">\(HTML.escape(error.description))</p>"), status: status)
        } catch {
            response = .html(HTML.page(title: "Error", store: storeName,
                                       body: "<p class=\"error\">\(HTML.escape(redactingURLSecrets("\(error)")))</p>"), status: 500)
        }
        response.headers += Self.securityHeaders
        return response
    }

    /// A look-up of something the store does not hold (404) or an address that names nothing (400).
    private static func status(of error: LineageError) -> Int? {
        switch error {
        case .noArtifactMatches, .unknownRun, .unknownStageRun: 404
        case .invalidHashPrefix, .ambiguousPrefix: 400
        default: nil
        }
    }

    /// Pages only load what this server sends; nothing is cached, since a running stage changes them.
    static let securityHeaders = [
        ("Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    private func route(_ request: WebRequest) throws -> WebResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        switch (parts.first, parts.count) {
        case (nil, _):
            return .html(try RunPages(site: self).list(request))
        case ("static", 2) where parts[1] == "tlab.css":
            return WebResponse(status: 200, contentType: "text/css; charset=utf-8", body: Data(HTML.styleSheet.utf8))
        case ("static", 2) where parts[1] == "tlab.js":
            return WebResponse(status: 200, contentType: "text/javascript; charset=utf-8", body: Data(HTML.script.utf8))
        case ("runs", 2):
            return .html(try RunPages(site: self).run(try number(parts[1], "run")))
        case ("runs", 3) where parts[2] == "curves":
            let (html, running) = try RunPages(site: self).curves(ofRun: try number(parts[1], "run"))
            return .fragment(html, running: running)
        case ("runs", 3) where parts[2] == "report":
            return .html(try ReportPage(site: self).page(run: try number(parts[1], "run")))
        case ("stage-runs", 2):
            return .html(try StageRunPage(site: self).page(try number(parts[1], "stage run")))
        case ("stage-runs", 3) where parts[2] == "curves":
            let (html, running) = try StageRunPage(site: self).curves(try number(parts[1], "stage run"))
            return .fragment(html, running: running)
        case ("artifacts", 2):
            return .html(try ArtifactPages(site: self).page(parts[1]))
        case ("artifacts", 3) where parts[2] == "lineage":
            return .html(try ArtifactPages(site: self).lineage(parts[1], down: request.value("walk") == "down"))
        case ("artifacts", 3) where parts[2] == "download" || parts[2] == "raw":
            return try ArtifactPages(site: self).bytes(parts[1], attachment: parts[2] == "download")
        case ("compare", 1):
            return .html(try ComparePage(site: self).page(request))
        case ("claims", 1):
            return .html(try ClaimsPage(site: self).page())
        default:
            throw WebError.notFound("no page at \(request.path); the runs are listed at /")
        }
    }

    private func number(_ text: String, _ what: String) throws -> Int64 {
        guard let value = Int64(text), value > 0 else {
            throw WebError.badRequest("'\(text)' is not a \(what) id: expected a positive whole number")
        }
        return value
    }

    // MARK: Shared look-ups

    func run(_ id: Int64) throws -> RunRecord {
        guard let run = try store.lineage.run(id: id) else {
            let newest = try store.lineage.runs(limit: 1).first?.id
            throw WebError.notFound("no run \(id) in this store; " + (newest.map { "the newest is run \($0)" } ?? "it has no runs yet"))
        }
        return run
    }

    func stageRun(_ id: Int64) throws -> StageRunDetail {
        guard let detail = try store.lineage.stageRun(id: id) else {
            throw WebError.notFound("no stage run \(id) in this store; a run's page links its stage runs")
        }
        return detail
    }

    /// How a stage run ended, in one word: computed, cached, failed, interrupted or running.
    static func state(_ record: StageRunRecord) -> String {
        record.status == .finished ? (record.cacheHit ? "cached" : "computed") : record.status.rawValue
    }

    static func stageRunLink(_ record: StageRunRecord) -> String {
        HTML.link("/stage-runs/\(record.id!)", record.stage)
    }

    static func artifactLink(_ hash: String) -> String {
        "<a class=\"hash\" href=\"/artifacts/\(HTML.escape(hash))\">\(HTML.escape(DisplayFormat.short(hash)))</a>"
    }
}
