// Who may read the pages. On a loopback address anyone on this machine may, as with the store's files;
// a server reachable from other machines needs a token, and then every request must carry it: in an
// `Authorization: Bearer` header, or in the cookie a first visit with `?token=` sets.
import ArgumentParser
import Foundation

/// The token rule of `tlab serve`.
struct ServeAccess: Sendable {
    /// nil: every request is served (loopback only).
    let token: String?

    static let cookieName = "tlab_token"
    static let queryName = "token"
    /// Shorter tokens are refused: a token guards a server other machines reach, so it must resist guessing.
    static let minimumTokenLength = 16

    /// The rule for a server bound to `host`, with the token given on the command line or in a file.
    init(host: String, token: String?, tokenFile: String?) throws {
        var token = token
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("--token-file \(tokenFile) cannot be read; give a file holding the token on one line")
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let source = tokenFile.map { "the token in \($0)" } ?? "--token"
        if let token {
            guard token.count >= Self.minimumTokenLength else {
                throw ValidationError("\(source) has \(token.count) characters; a token needs at least \(Self.minimumTokenLength) "
                    + "(e.g. openssl rand -hex 16)")
            }
            guard token.allSatisfy(Self.isTokenCharacter) else {
                throw ValidationError("\(source) may hold only letters, digits and - . _ ~ + / = (it travels in a header and a cookie)")
            }
        } else if !Self.isLoopback(host) {
            throw ValidationError("--host \(host) lets other machines reach the server: give --token or --token-file, "
                + "which every request must then carry; or serve on 127.0.0.1 (the default)")
        }
        self.token = token
    }

    private static func isTokenCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || "-._~+/=".contains(c))
    }

    /// Whether `host` names this machine only: `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// What to do with one request.
    enum Verdict: Equatable {
        case allowed
        /// A first visit with `?token=`: send the browser to `location` (the same page without the
        /// token in its address) with the cookie set.
        case setCookie(location: String)
        case refused
    }

    /// The verdict for a request to `path` with `query` items and headers (names lower-cased).
    func verdict(path: String, query: [(name: String, value: String)], headers: [String: String]) -> Verdict {
        guard let token else { return .allowed }
        if let authorization = headers["authorization"], authorization.hasPrefix("Bearer "),
           Self.same(String(authorization.dropFirst(7)), token) {
            return .allowed
        }
        for cookie in (headers["cookie"] ?? "").split(separator: ";") {
            let pair = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == Self.cookieName, Self.same(String(pair[1]), token) { return .allowed }
        }
        if let given = query.first(where: { $0.name == Self.queryName })?.value, Self.same(given, token) {
            let rest = query.filter { $0.name != Self.queryName }
                .map { HTML.component($0.name) + "=" + HTML.component($0.value) }.joined(separator: "&")
            return .setCookie(location: path + (rest.isEmpty ? "" : "?" + rest))
        }
        return .refused
    }

    /// The `Set-Cookie` value that lets a browser carry the token: not readable by scripts, not sent
    /// by other sites' pages.
    var cookie: String? {
        token.map { "\(Self.cookieName)=\($0); Path=/; HttpOnly; SameSite=Strict" }
    }

    /// Compares in time independent of where the strings differ, so timing tells nothing of the token.
    private static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
