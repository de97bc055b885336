// What the output streams are connected to: colour only on a terminal and never with NO_COLOR set,
// live (rewritten) lines only on a terminal, plain lines in a log.
import Foundation

struct Terminal {
    /// True when stdout is a terminal, so a line can be rewritten in place.
    let isInteractive: Bool
    /// True when escape codes for colour may be written (https://no-color.org).
    let usesColor: Bool

    static let standardOutput: Terminal = {
        let environment = ProcessInfo.processInfo.environment
        let interactive = isatty(STDOUT_FILENO) == 1 && environment["TERM"] != "dumb"
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        return Terminal(isInteractive: interactive, usesColor: interactive && !noColor)
    }()

    enum Color: String {
        case green = "32", yellow = "33", red = "31", dim = "2", bold = "1"
    }

    /// The terminal's width in characters, when stdout is one that says.
    var columns: Int? {
        var size = winsize()
        guard isInteractive, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// `text` in `color` when colour is on, else unchanged.
    func paint(_ text: String, _ color: Color) -> String {
        usesColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }
}
