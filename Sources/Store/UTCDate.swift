// Calendar fields of a UTC time to a Date, for the timestamp formats the store reads (PostgreSQL's
// and SQLite's text timestamps, S3's ISO 8601 and HTTP dates).
import Foundation

/// The instant of a UTC calendar time, nil when `timegm` cannot represent it.
func utcDate(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    let seconds = timegm(&parts)
    return seconds == -1 ? nil : Date(timeIntervalSince1970: TimeInterval(seconds))
}
