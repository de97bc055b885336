// JSON string literals written by hand, for the canonical JSON the project hashes or writes byte for
// byte (safetensors headers, stage keys), where JSONEncoder's formatting is not ours to fix.

/// `text` as a JSON string literal, escaped as serde_json (and so the safetensors reference writer)
/// does: quote, backslash and control characters only; everything else stays as it is.
public func jsonStringLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u00" + String(repeating: "0", count: 2 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
