// The few XML documents S3 sends back (errors, listings, multipart upload ids), read into a small tree,
// and the two timestamp formats it uses.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML element: its name, its text (for leaf elements) and its child elements in order.
struct XMLElement {
    var name: String
    var text = ""
    var children: [XMLElement] = []

    /// Parses `data`; nil if it is not well-formed XML.
    static func parse(_ data: Data) -> XMLElement? {
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of child `name`, if there is one.
    subscript(_ name: String) -> String? { child(name)?.text }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [XMLElement] = []
        var root: XMLElement?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            stack.append(XMLElement(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}

enum S3Time {
    /// `2013-09-17T18:07:53.000Z` (listings), fractional seconds optional.
    static func parseISO8601(_ text: String) -> Date? {
        let digits = text.utf8.map { Int($0) - 48 }
        guard digits.count >= 20, text.hasSuffix("Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard (0...9).contains(digits[i]) else { return nil }
                value = value * 10 + digits[i]
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var fraction = 0.0
        if digits.count > 21, text.utf8[text.utf8.index(text.utf8.startIndex, offsetBy: 19)] == UInt8(ascii: ".") {
            fraction = Double("0" + text.dropFirst(19).dropLast()) ?? 0
        }
        return utcDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            .map { $0.addingTimeInterval(fraction) }
    }

    /// `Wed, 12 Oct 2009 17:50:00 GMT` (the Last-Modified header).
    static func parseHTTPDate(_ text: String) -> Date? {
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 6, let day = Int(fields[1]), let monthIndex = months.firstIndex(of: String(fields[2])),
              let year = Int(fields[3]) else { return nil }
        let clock = fields[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return utcDate(year: year, month: monthIndex + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
    }
}
