// Secrets that addresses may carry, removed before anything is printed: a URL's password
// (`scheme://user:secret@host`), secret-looking parameters (`?token=…`, libpq's `password=…`). Every
// message that shows a lineage URI, a store file's value or an s3:// URL passes through here.
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
