// Text from outside (file and entry names, parameter values, URLs, names in a pipeline file) made
// safe to print on one line of a terminal or a log.
import Foundation

/// `text` as it may be printed: secrets redacted (`Redaction.text`, then every URL query value by
/// `redactingURLSecrets`), every control character (C0, DEL, C1, and the Unicode line and paragraph
/// separators) written as a visible escape (`\n`, `\t`, `\u{1B}`), so a name cannot move the cursor,
/// recolour the terminal or split one message into two lines; and cut to `limit` characters with
/// the number left out, so a hostile value cannot flood the output.
public func printable(_ text: String, limit: Int = 200) -> String {
    let redacted = redactingURLSecrets(Redaction.text(text))
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
