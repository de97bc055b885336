// `tlab serve`: a read-only web view of a store. The store is opened read-only, the token rule
// (ServeAccess) is applied to every request, and FlyingFox only carries the bytes: the pages are
// plain functions of the request (WebSite) over the same Store and Pipeline APIs as the CLI.
import ArgumentParser
import FlyingFox
import FlyingSocks
import Foundation
import Pipeline

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a read-only web view of the store: runs, DAGs, lineage, curves, reports.",
        discussion: """
            Pages: the runs (newest first, filterable), each run's DAG coloured by state with every \
            stage's key, parameters, time and why it ran, a stage run's lineage up and down with its \
            artifacts (tensor figures as 'tlab show' gives them, and downloads), training curves per \
            stage run and overlaid across a run's seeds and variants, the report, a comparison of two \
            runs, and the claims workers hold on a shared store. A running stage's curves redraw as its \
            epochs finish. Nothing is written to the store.

            It listens on 127.0.0.1 unless --host says otherwise; a host other machines can reach \
            needs --token or --token-file, and every request must then carry the token: open \
            http://HOST:PORT/?token=TOKEN once (a cookie keeps it), or send 'Authorization: Bearer TOKEN'. \
            The first line printed is the address it serves on.

            EXAMPLES:
              tlab serve                              http://127.0.0.1:8080/
              tlab serve --store shared.yaml --port 9000
              tlab serve --host 0.0.0.0 --token-file ~/.tlab-token
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Address to listen on (an IPv4 or IPv6 address); anything but loopback needs a token.",
                               valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one (the first line printed names it).", valueName: "port"))
    var port = 8080

    @Option(help: ArgumentHelp("The token every request must carry (at least 16 characters).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("A file holding the token (safer than --token, which other users may see in ps).",
                               valueName: "file"), completion: .file())
    var tokenFile: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, not \(port)") }
        if token != nil && tokenFile != nil { throw ValidationError("give --token or --token-file, not both") }
    }

    func run() throws {
        let access = try ServeAccess(host: host, token: token, tokenFile: tokenFile)
        let site = WebSite(store: try storeOptions.openReadOnly())
        let server = HTTPServer(config: .init(address: try address(), timeout: 60, logger: .disabled),
                                handler: FlyingFoxAdapter(site: site, access: access))
        // The command runs synchronously; the server lives in a task, and this thread waits for it.
        let stopped = DispatchSemaphore(value: 0)
        let failure = ErrorBox()
        Task {
            do { try await server.run() } catch { failure.error = error }
            stopped.signal()
        }
        Task {
            do {
                try await server.waitUntilListening(timeout: 30)
                let bound = await server.listeningAddress
                let shown: String
                switch bound {
                case let .ip4(address, port)?: shown = "http://\(address):\(port)/"
                case let .ip6(address, port)?: shown = "http://[\(address)]:\(port)/"
                default: shown = "http://\(host):\(port)/"
                }
                print("tlab: serving \(site.storeName) on \(shown)")
                fflush(stdout)
            } catch {
                failure.error = error
                stopped.signal()
            }
        }
        stopped.wait()
        if let error = failure.error {
            throw CommandError.cannotServe(host: host, port: port, reason: "\(error)")
        }
    }

    private func address() throws -> any SocketAddress {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let name = bare == "localhost" ? "127.0.0.1" : bare
        do {
            return name.contains(":") ? try sockaddr_in6.inet6(ip6: name, port: UInt16(port))
                : try sockaddr_in.inet(ip4: name, port: UInt16(port))
        } catch {
            throw ValidationError("--host \(host) is not an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1)")
        }
    }
}

/// The server task's error, read after it ends.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Carries FlyingFox's requests to the pages and their answers back: GET and HEAD only, after the
/// token rule.
struct FlyingFoxAdapter: HTTPHandler {
    let site: WebSite
    let access: ServeAccess

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return Self.plain(405, "this view is read-only: only GET and HEAD are served", extra: [("Allow", "GET, HEAD")])
        }
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
        let query = request.query.map { (name: $0.name, value: $0.value) }
        switch access.verdict(path: request.path, query: query, headers: headers) {
        case .refused:
            return Self.plain(401, "this server needs its token: open the address with ?token=TOKEN once, "
                + "or send the header 'Authorization: Bearer TOKEN'")
        case let .setCookie(location):
            return Self.plain(303, "see \(location)", extra: [("Location", location), ("Set-Cookie", access.cookie!)])
        case .allowed:
            let answer = site.respond(to: WebRequest(path: request.path, query: query))
            var responseHeaders = HTTPHeaders()
            responseHeaders[HTTPHeader("Content-Type")] = answer.contentType
            for (name, value) in answer.headers { responseHeaders.addValue(value, for: HTTPHeader(name)) }
            return HTTPResponse(statusCode: Self.status(answer.status), headers: responseHeaders,
                                body: request.method == .HEAD ? Data() : answer.body)
        }
    }

    private static func plain(_ code: Int, _ text: String, extra: [(String, String)] = []) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers[HTTPHeader("Content-Type")] = "text/plain; charset=utf-8"
        for (name, value) in extra + WebSite.securityHeaders { headers.addValue(value, for: HTTPHeader(name)) }
        return HTTPResponse(statusCode: status(code), headers: headers, body: Data((text + "\n").utf8))
    }

    private static func status(_ code: Int) -> HTTPStatusCode {
        let phrases = [200: "OK", 303: "See Other", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                       405: "Method Not Allowed", 500: "Internal Server Error"]
        return HTTPStatusCode(code, phrase: phrases[code] ?? "Status")
    }
}
