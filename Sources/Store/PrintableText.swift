// Text from outside (file and entry names, parameter values, URLs, names in a pipeline file) made
// safe to print on one line of a terminal or a log.
import Foundation

/// `text` as it may be printed: URL credentials and query values redacted (see
/// `redactingURLSecrets`), every control character (C0, DEL, C1, and the Unicode line and paragraph
/// separators) written as a visible escape (`\n`, `\t`, `\u{1B}`), so a name cannot move the cursor,
/// recolour the terminal or split one message into two lines; and cut to `limit` characters with
/// the number left out, so a hostile value cannot flood the output.
public func printable(_ text: String, limit: Int = 200) -> String {
    let redacted = redactingURLSecrets(text)
    var out = ""
    var shown = 0
    for scalar in redacted.unicodeScalars {
        if shown >= limit {
            return out + "… (\(redacted.unicodeScalars.count - shown) more characters)"
        }
        shown += 1
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{00}" ... "\u{1F}", "\u{7F}" ... "\u{9F}", "\u{2028}", "\u{2029}":
            out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default:
            out.unicodeScalars.append(scalar)
        }
    }
    return out
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
