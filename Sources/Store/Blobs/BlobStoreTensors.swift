// Tensor artifacts in the blob store: safetensors streamed into a put and out of a verified read.
import Foundation

extension BlobStore {
    /// Stores `tensors` as one safetensors blob, streaming their bytes from the caller's memory (no
    /// copy of the data is made; the exact size goes into the zstd frame header).
    @discardableResult
    public func putTensors(_ tensors: [TensorSource], metadata: [String: String] = [:],
                           level: Int? = nil) throws -> BlobInfo {
        let header = try SafeTensors.header(for: tensors, metadata: metadata)
        var expectedHash: String?
        if hashesBeforePut {
            let hasher = TensorHasher()
            try SafeTensors.encode(tensors, metadata: metadata, to: hasher.update)
            expectedHash = hasher.finalize()
        }
        return try put(rawBytes: header.fileBytes, level: level, expectedHash: expectedHash) { writer in
            try SafeTensors.encode(tensors, metadata: metadata, to: writer.write)
        }
    }

    /// Stores a small in-memory archive as one safetensors blob.
    @discardableResult
    public func putTensors(_ archive: TensorArchive, level: Int? = nil) throws -> BlobInfo {
        try SafeTensors.withSources(archive.tensors) { try putTensors($0, metadata: archive.metadata, level: level) }
    }

    /// Streams tensor blob `hash` into caller memory: `destination` is asked once per tensor, in data
    /// order, for a buffer of at least `entry.byteCount` bytes (nil skips the tensor); like the chunk
    /// consumer of `read(_:chunk:)` it runs on the store's delivery thread, before this returns.
    /// Returns the header. The hash is checked at the end: if this throws, the destinations hold bytes
    /// that must not be used.
    @discardableResult
    public func readTensors(_ hash: String,
                            into destination: (TensorEntry) throws -> UnsafeMutableRawBufferPointer?) throws -> SafeTensorsHeader {
        let size = try? storedContentSize(hash)
        return try withoutActuallyEscaping(destination) { destination in
            let decoder = SafeTensorsDecoder(totalBytes: size, destination: destination)
            try read(hash) { try decoder.consume($0) }
            return try decoder.finish()
        }
    }

    /// Reads a small tensor blob whole into memory, verified.
    public func readTensors(_ hash: String) throws -> TensorArchive {
        try SafeTensors.decode(read(hash))
    }
}

/// SHA-256 over the pieces of an encoding, for the hash a put needs before it starts.
private final class TensorHasher {
    private var digest: Digest? = Digest()

    func update(_ bytes: UnsafeRawBufferPointer) {
        var running = digest.take()!
        running.update(bytes)
        digest = consume running
    }

    func finalize() -> String { digest.take()!.finalize() }
}
