// A file on local disk for a data set being read: written and read at offsets (pwrite/pread, so
// pages live in the kernel's page cache, not in the process), unlinked as soon as it is created so
// its space comes back when it is closed, even after a crash.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class ScratchFile: @unchecked Sendable {
    private let descriptor: Int32
    /// What the file holds, for error messages.
    private let role: String

    /// A new empty file in `folder` (created if missing).
    init(in folder: URL, role: String) throws {
        self.role = role
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("scratch-\(UUID().uuidString)").path
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DatasetError.unreadable(file: path, reason: "cannot create the scratch file for \(role): " + String(cString: strerror(errno)))
        }
        unlink(path)
    }

    deinit { close(descriptor) }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("cannot write it") }
            done += n
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(n < 0 ? "cannot read it" : "it ends early") }
            done += n
        }
    }

    private func failure(_ what: String) -> DatasetError {
        .unreadable(file: "the scratch file of \(role)", reason: what + (errno != 0 ? ": " + String(cString: strerror(errno)) : ""))
    }
}
