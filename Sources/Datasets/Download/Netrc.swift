// Credentials for downloads from a netrc file (as curl and wget read it), so that a URL in a
// pipeline never carries a password: URLs go into stage keys, lineage and logs, the netrc file
// stays on the machine that downloads.
import Foundation

/// The `machine HOST login USER password PASSWORD` entries of a netrc file (and its `default`).
struct Netrc: Equatable {
    struct Login: Equatable {
        let user: String
        let password: String
    }

    private var machines: [String: Login] = [:]
    private var fallback: Login?

    /// The file `$NETRC` names, else `~/.netrc`; nil when there is none or it cannot be read.
    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> Netrc? {
        let path = environment["NETRC"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".netrc")
        return (try? String(contentsOfFile: path, encoding: .utf8)).map(Netrc.init(text:))
    }

    /// Parses netrc text: whitespace-separated tokens; `macdef` bodies and unknown tokens are skipped.
    init(text: String) {
        let tokens = text.split(whereSeparator: \.isWhitespace).map(String.init)
        var host: String?, isDefault = false, user = "", password = ""
        func flush() {
            guard host != nil || isDefault else { return }
            let login = Login(user: user, password: password)
            if let host { machines[host.lowercased()] = machines[host.lowercased()] ?? login } else if fallback == nil { fallback = login }
            (host, isDefault, user, password) = (nil, false, "", "")
        }
        var i = 0
        while i < tokens.count {
            let value = i + 1 < tokens.count ? tokens[i + 1] : ""
            switch tokens[i] {
            case "machine": flush(); host = value; i += 2
            case "default": flush(); isDefault = true; i += 1
            case "login": user = value; i += 2
            case "password": password = value; i += 2
            case "account": i += 2
            default: i += 1
            }
        }
        flush()
    }

    /// The login for `host`: its own entry, else the `default` one.
    func login(for host: String) -> Login? {
        machines[host.lowercased()] ?? fallback
    }

    /// An HTTP Basic `Authorization` value for `host`, if the file has a login for it.
    func authorization(for host: String) -> String? {
        login(for: host).map { "Basic " + Data("\($0.user):\($0.password)".utf8).base64EncodedString() }
    }
}
