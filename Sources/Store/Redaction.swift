// Secrets that addresses may carry, removed before anything is printed: a URL's password
// (`scheme://user:secret@host`), secret-looking parameters (`?token=…`, libpq's `password=…`), and
// (for text printed from input, through `printable`) every URL query value. Every message that shows
// a lineage URI, a store file's value, an s3:// URL or a stage parameter passes through here.
import Foundation

public enum Redaction {
    /// `text` with each password in a URL's user info and each secret-looking `name=value`
    /// parameter's value replaced by `***`.
    public static func text(_ text: String) -> String {
        var result = text
        for pattern in patterns {
            let range = NSRange(result.startIndex..., in: result)
            result = pattern.stringByReplacingMatches(in: result, range: range, withTemplate: "$1***")
        }
        return result
    }

    /// `message` (say, a parser's complaint about `address`) with every secret `address` holds
    /// replaced by `***`, also where the message quotes the secret alone, without its context.
    public static func message(_ message: String, about address: String) -> String {
        var result = text(message)
        for secret in secrets(in: address) where !secret.isEmpty {
            result = result.replacingOccurrences(of: secret, with: "***")
            if let decoded = secret.removingPercentEncoding, !decoded.isEmpty {
                result = result.replacingOccurrences(of: decoded, with: "***")
            }
        }
        return result
    }

    /// The secret values in `address`, as they are written there.
    static func secrets(in address: String) -> [String] {
        patterns.flatMap { pattern in
            pattern.matches(in: address, range: NSRange(address.startIndex..., in: address)).compactMap { match in
                Range(match.range(at: 2), in: address).map { String(address[$0]) }
            }
        }
    }

    /// Each pattern's group 1 is kept and group 2, the secret, replaced.
    private static let patterns: [NSRegularExpression] = [
        // scheme://user:secret@ — the secret may hold '/', as AWS secret keys do.
        #"([A-Za-z][A-Za-z0-9+.-]*://[^\s:@/'"]*:)([^\s@'"]*)(?=@)"#,
        // ?token=secret, password=secret, sig='secret' …
        #"(?i)(\b(?:password|passwd|pwd|token|secret|[a-z_-]*key|signature|sig|credentials?|auth)\s*=\s*)('[^']*'|[^\s&'"]*)"#,
    ].map { try! NSRegularExpression(pattern: $0) }
}

private let urlPattern = try! NSRegularExpression(
    pattern: #"([A-Za-z][A-Za-z0-9+.-]*://)([^\s/?#@'"]*@)?([^\s?#'"]*)(\?[^\s#'"]*)?"#)

/// `text` with the secrets a URL may carry replaced by `***`: the password before `@`
/// (`https://user:***@host/`; the user name stays, as it tells which account was used), and each
/// query value (`?token=***&page=***`). Query strings often carry access tokens, and which of their
/// values are secret cannot be told, so none is printed.
public func redactingURLSecrets(_ text: String) -> String {
    guard text.contains("://") else { return text }
    let whole = text as NSString
    var out = ""
    var last = 0
    for match in urlPattern.matches(in: text, range: NSRange(location: 0, length: whole.length)) {
        out += whole.substring(with: NSRange(location: last, length: match.range.location - last))
        out += whole.substring(with: match.range(at: 1))
        if match.range(at: 2).location != NSNotFound {
            let userInfo = whole.substring(with: match.range(at: 2)).dropLast()
            out += (userInfo.firstIndex(of: ":").map { userInfo[...$0] + "***" } ?? userInfo) + "@"
        }
        out += whole.substring(with: match.range(at: 3))
        if match.range(at: 4).location != NSNotFound {
            let query = whole.substring(with: match.range(at: 4)).dropFirst()
            out += "?" + query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
                pair.firstIndex(of: "=").map { pair[...$0] + "***" } ?? (pair.isEmpty ? "" : "***")
            }.joined(separator: "&")
        }
        last = match.range.location + match.range.length
    }
    return out + whole.substring(from: last)
}
