// The second stage of a blob read: on its own thread, hands each decompressed piece to the consumer
// and feeds it to SHA-256, so decompression on the reading thread overlaps with both.
import Dispatch
import Foundation

/// Delivers pieces in submission order on a serial queue: consumer first, then the hash. After the
/// consumer throws it is not called again; the error comes back from `finish`. The submitter must keep
/// each piece alive and unchanged until its completion runs.
final class VerifyingDelivery {
    private let consumer: (UnsafeRawBufferPointer) throws -> Void
    private let queue = DispatchQueue(label: "tlab.store.deliver")
    private let lock = NSLock()
    private var hasher: Digest? = Digest()
    private var consumerError: Error?

    init(consumer: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.consumer = consumer
    }

    /// The consumer's error, if it threw; the reader checks this to stop early.
    var failure: Error? {
        lock.lock()
        defer { lock.unlock() }
        return consumerError
    }

    func submit(_ piece: UnsafeRawBufferPointer, then completion: @escaping () -> Void) {
        // The submitter guarantees the piece outlives the job (see the type's comment).
        nonisolated(unsafe) let piece = piece
        queue.async {
            if self.failure == nil {
                do {
                    try self.consumer(piece)
                } catch {
                    self.lock.lock()
                    self.consumerError = error
                    self.lock.unlock()
                }
            }
            if var h = self.hasher.take() {
                h.update(piece)
                self.hasher = consume h
            }
            completion()
        }
    }

    /// Waits until every submitted piece is delivered.
    func drain() { queue.sync {} }

    /// Waits for the queue, rethrows a consumer error, and returns the digest of all pieces; call once.
    func finish() throws -> String {
        drain()
        if let error = failure { throw error }
        guard let h = hasher.take() else { preconditionFailure("VerifyingDelivery finished twice") }
        return h.finalize()
    }
}
