// Values crossing the SQL layer: what a statement binds and what a row holds, the same for SQLite
// and PostgreSQL. Dates travel as UTC text with milliseconds, the form GRDB has always stored them in.
import Foundation

/// One SQL value.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bool(Bool)
    case date(Date)
}

/// A Swift value a statement can bind.
public protocol SQLArgument {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLArgument { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLArgument { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int32: SQLArgument { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLArgument { public var sqlValue: SQLValue { isNaN ? .null : .real(self) } }
extension String: SQLArgument { public var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLArgument { public var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLArgument { public var sqlValue: SQLValue { .date(self) } }
extension SQLValue: SQLArgument { public var sqlValue: SQLValue { self } }

/// A Swift value a column can be read as. Conversions are lenient where the two databases differ:
/// SQLite has no booleans or dates (integers and text stand in), PostgreSQL has both.
public protocol SQLColumnValue {
    static func decode(_ value: SQLValue) -> Self?
}

extension Int64: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let v): return v
        case .real(let v) where v == v.rounded(): return Int64(v)
        case .text(let v): return Int64(v)
        default: return nil
        }
    }
}

extension Int: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Int? { Int64.decode(value).map(Int.init) }
}

extension Int32: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Int32? { Int64.decode(value).flatMap(Int32.init(exactly:)) }
}

extension Double: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Double? {
        switch value {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        case .text(let v): return Double(v)
        default: return nil
        }
    }
}

extension String: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> String? {
        switch value {
        case .text(let v): return v
        case .integer(let v): return String(v)
        case .date(let v): return SQLTimestamp.format(v)
        default: return nil
        }
    }
}

extension Bool: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Bool? {
        switch value {
        case .bool(let v): return v
        case .integer(let v): return v != 0
        default: return nil
        }
    }
}

extension Date: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Date? {
        switch value {
        case .date(let v): return v
        case .text(let v): return SQLTimestamp.parse(v)
        default: return nil
        }
    }
}

extension Optional: SQLColumnValue where Wrapped: SQLColumnValue {
    public static func decode(_ value: SQLValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.decode(value).map { .some($0) }
    }
}

/// A result row: column name → value.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// Column `name` as `T`; a missing column or a value that is not a `T` is an error naming both.
    public func get<T: SQLColumnValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(of: name) else {
            throw SQLError.column(name: name, problem: "is not in the result (it has \(columns.joined(separator: ", ")))")
        }
        guard let value = T.decode(values[index]) else {
            throw SQLError.column(name: name, problem: "holds \(values[index]), not a \(T.self)")
        }
        return value
    }
}

/// The timestamp text both databases store: `yyyy-MM-dd HH:mm:ss.SSS` in UTC (GRDB's format, so
/// SQLite stores written before this layer read back unchanged; text order is time order).
enum SQLTimestamp {
    static func format(_ date: Date) -> String {
        // Whole milliseconds, rounded as GRDB rounds them.
        let millis = (date.timeIntervalSince1970 * 1000).rounded()
        var seconds = time_t(Int64((millis / 1000).rounded(.down)))
        let fraction = Int(millis - Double(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%03d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction)
    }

    /// Reads `2026-11-29 15:31:00.123`, with a `T` instead of the space, any number of fraction
    /// digits, and an optional UTC offset (`Z`, `+00`, `+02:00`) as PostgreSQL prints timestamptz.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0.0, scale = 1.0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                digits = digits * 10 + Double(bytes[index] - 48)
                scale *= 10
                index += 1
            }
            fraction = digits / scale
        }
        var offset = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(index + 1..<index + 3) else { return nil }
            let minutesStart = index + 3 < bytes.count && bytes[index + 3] == UInt8(ascii: ":") ? index + 4 : index + 3
            let minutes = number(minutesStart..<minutesStart + 2) ?? 0
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard let local = utcDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else {
            return nil
        }
        return local.addingTimeInterval(fraction - Double(offset))
    }
}
