// SHA-256 on a second thread, so decompression (or the caller) and hashing overlap on two cores.
import Dispatch
import Foundation

/// Hashes byte ranges in submission order on its own serial queue. The caller must keep each range
/// alive and unchanged until its completion runs.
final class BackgroundHasher {
    private var hasher: SHA256Hasher? = SHA256Hasher()
    private let queue = DispatchQueue(label: "tlab.store.sha256")

    func update(_ bytes: UnsafeRawBufferPointer, then completion: @escaping () -> Void = {}) {
        // The caller guarantees the range outlives the job (see the type's comment).
        nonisolated(unsafe) let range = bytes
        queue.async {
            if var h = self.hasher.take() {
                h.update(range)
                self.hasher = consume h
            }
            completion()
        }
    }

    /// Waits until every submitted range is hashed.
    func drain() { queue.sync {} }

    /// The digest of everything submitted, as lowercase hex; call once.
    func finalize() -> String {
        queue.sync {
            guard let h = hasher.take() else { preconditionFailure("BackgroundHasher finalized twice") }
            return h.finalize()
        }
    }
}
