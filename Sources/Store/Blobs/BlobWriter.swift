// The write end of a streaming put: hashes the plaintext and compresses it into the put's temporary file.
import Foundation

/// Receives the bytes of one blob during `BlobStore.put(rawBytes:level:_:)`. Only valid inside that
/// call's closure.
public final class BlobWriter {
    private let file: PosixFile
    private let encoder: ZstdEncoder
    private var hasher: Digest? = Digest()
    /// Uncompressed bytes written so far.
    public private(set) var bytesWritten: Int64 = 0
    private(set) var storedBytes: Int64 = 0

    /// Told the file's length after each write, when an upload follows the file as it grows.
    private let arrived: ((Int64) throws -> Void)?

    init(file: PosixFile, encoder: ZstdEncoder, arrived: ((Int64) throws -> Void)? = nil) {
        self.file = file
        self.encoder = encoder
        self.arrived = arrived
    }

    /// Appends bytes to the blob. With zstd workers active (large blobs) compression runs on them
    /// while this thread hashes; large buffers go in slices so the two overlap.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + Self.sliceBytes, bytes.count)])
            hasher!.update(slice)
            try encoder.compress(slice, into: emit)
            start += slice.count
        }
        bytesWritten += Int64(bytes.count)
    }

    private static let sliceBytes = 1 << 20

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Ends the frame and returns the blob's hash; the writer is unusable afterwards.
    func finish() throws -> String {
        try encoder.finish(into: emit)
        guard let h = hasher.take() else { preconditionFailure("BlobWriter finished twice") }
        return h.finalize()
    }

    private func emit(_ compressed: UnsafeRawBufferPointer) throws {
        try file.writeAll(compressed)
        storedBytes += Int64(compressed.count)
        try arrived?(storedBytes)
        // Without this the kernel holds up to its dirty limit in memory and the final fsync of a
        // 1 GiB blob waited ~0.4 s for the disk; flushing as we go overlaps that with compression.
        if storedBytes - lastWriteback >= Self.writebackBytes {
            file.startWriteback()
            lastWriteback = storedBytes
        }
    }

    private var lastWriteback: Int64 = 0
    private static let writebackBytes: Int64 = 32 << 20
}
