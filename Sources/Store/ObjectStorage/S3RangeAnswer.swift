// Whether an answer to a GET continues a download where it stands. A download resumed after a lost
// connection asks for the bytes from where it stopped; only a 206 whose Content-Range starts there
// continues it. Appending anything else (a 200 with the whole body, a range starting elsewhere) would
// splice two different byte streams into one file.
import Foundation

struct RangeAnswer {
    let status: Int
    /// Where the answer's bytes start in the object, from Content-Range (a 206) or 0 (a 200).
    let start: Int64?
    /// The object's whole size: after the slash of Content-Range, or a 200's Content-Length.
    let objectSize: Int64?
    let contentRange: String?

    init(status: Int, headers: [String: String]) {
        self.status = status
        contentRange = headers["content-range"]
        if status == 206 {
            // "bytes 100-199/1000"
            let parts = (contentRange ?? "").split(whereSeparator: { " -/".contains($0) })
            start = parts.count == 4 && parts[0] == "bytes" ? Int64(parts[1]) : nil
            objectSize = parts.count == 4 ? Int64(parts[3]) : nil
        } else {
            start = status == 200 ? 0 : nil
            objectSize = status == 200 ? headers["content-length"].flatMap(Int64.init) : nil
        }
    }

    enum Verdict: Equatable {
        case continues
        /// A 200 with the whole object: usable once what was received is discarded.
        case restartsFromZero
        case unusable(String)
    }

    /// What to do with this answer to a request for bytes from `wanted` on (`ranged`: a Range header
    /// was sent), for an object known to be `objectSize` bytes long (nil before the first answer).
    func continues(from wanted: Int64, ranged: Bool, objectSize known: Int64?, canRestart: Bool) -> Verdict {
        if let known, let objectSize, known != objectSize {
            return .unusable("the answer gives the object's size as \(objectSize) bytes, an earlier one as \(known)")
        }
        if start == wanted && (status == 206) == ranged { return .continues }
        if status == 200, ranged, canRestart { return .restartsFromZero }
        let range = contentRange.map { " (Content-Range: \($0))" } ?? ""
        return .unusable("asked for the bytes from \(wanted) on, the server answered HTTP \(status)\(range)")
    }
}
