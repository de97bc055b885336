// A blob file still being written, read while it grows: a download's hash check overlaps the transfer,
// and a put's upload overlaps the compression.
import Foundation

/// The length of a file one thread appends to (a download, a put's compressor), shared with a reader
/// on another thread (the hash check, the upload) that waits for bytes not yet there.
final class ArrivingFile: @unchecked Sendable {
    /// Thrown into the writer when its reader gave up, so the writing stops.
    struct ReaderGone: Error {}

    private let condition = NSCondition()
    private var length: Int64 = 0
    private var ended = false
    private var failure: Error?
    private var readerGone = false

    /// The writer's report that the file now holds `length` bytes.
    func arrived(_ length: Int64) throws {
        condition.lock()
        defer { condition.unlock() }
        if readerGone { throw ReaderGone() }
        self.length = length
        condition.broadcast()
    }

    /// The writing ended: with `failure`, the reader throws it once it has read what arrived.
    func end(failure: Error?) {
        condition.lock()
        defer { condition.unlock() }
        (ended, self.failure) = (true, failure)
        condition.broadcast()
    }

    /// The reader stops reading: the writer stops at its next piece.
    func abandon() {
        condition.lock()
        defer { condition.unlock() }
        readerGone = true
    }

    /// Waits until the file holds more than `count` bytes past `offset` or the writing ended; returns
    /// the bytes past `offset` and whether the writing ended (without failure: that is thrown).
    func bytes(moreThan count: Int64, after offset: Int64) throws -> (available: Int64, ended: Bool) {
        condition.lock()
        defer { condition.unlock() }
        while length - offset <= count && !ended { condition.wait() }
        if ended, let failure { throw failure }
        return (length - offset, ended)
    }
}

/// A blob file to read through: a finished one, or one a download is writing (`arriving`).
struct BlobCopy {
    let path: String
    var arriving: ArrivingFile? = nil
}

/// A transfer running on a thread of its own beside the thread that writes or reads its file; `wait`
/// joins it.
final class BackgroundTransfer<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<T, Error>?

    init(_ work: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            outcome = Result(catching: work)
            done.signal()
        }
    }

    /// Waits for the transfer to end; returns its result, or throws its error.
    func wait() throws -> T {
        done.wait()
        done.signal()
        return try outcome!.get()
    }
}
