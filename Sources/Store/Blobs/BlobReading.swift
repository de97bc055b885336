// Reading blobs back: streaming decompression with SHA-256 verification overlapped on a second thread.
import CZstd
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state of one stored blob, as found by `BlobStore.verify`.
public enum BlobCheck: Equatable, Sendable {
    case intact
    case corrupt(reason: String)
    case missing
}

extension BlobStore {
    /// Streams the uncompressed bytes of blob `hash` to `chunk` in pieces of at most 1 MiB, in order,
    /// using a few MiB of memory whatever the blob size. `chunk` is called on a second thread (one call
    /// at a time, never after this returns) so it overlaps decompression; if it throws, the read stops
    /// and rethrows that error. The hash is checked after the last piece:
    /// if this throws `StoreError.corrupt`, the consumer has already seen bytes that are wrong and must
    /// discard everything it received. Returns the number of bytes delivered. With a remote, a blob
    /// not in the cache is downloaded and read in the same pass, and enters the cache if it verifies.
    /// A blob found missing or corrupt is no longer `presence`'s until a put stores it again.
    @discardableResult
    public func read(_ hash: String, chunk: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        try markingUnusable(hash) {
            try withoutActuallyEscaping(chunk) { chunk in
                try withLocalCopy(of: hash) { copy in
                    try decompress(hash, at: copy, delivery: VerifyingDelivery(consumer: chunk))
                }
            }
        }
    }

    /// Decompresses the blob file `copy` on this thread into a ring of buffers that `delivery` hands
    /// on and hashes on its own thread; checks the frame ends exactly at the end of the file and the
    /// digest is `hash`. A file still arriving is read as far as it is there, waiting for the rest.
    func decompress(_ hash: String, at copy: BlobCopy, delivery: VerifyingDelivery) throws -> Int64 {
        let path = copy.path
        // The download creates the file: wait for its first bytes (or its end) before opening it.
        if let arriving = copy.arriving { _ = try arriving.bytes(moreThan: 0, after: 0) }
        let file = try openBlob(hash, at: path)
        defer { file.closeFile() }
        func corrupt(_ reason: String) -> StoreError { .corrupt(hash: hash, path: path, reason: reason) }

        let decoder = try ZstdDecoder()
        let inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 64)
        // Three output buffers: one being filled, one being delivered, one spare.
        let outputs = (0..<3).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 64)
        }
        let freeOutputs = DispatchSemaphore(value: outputs.count)
        defer {
            delivery.drain()
            inputBuffer.deallocate()
            outputs.forEach { $0.deallocate() }
        }

        var fileOffset: Int64 = 0
        /// The next bytes of the file, 0 at its end (for an arriving file: once the download ended).
        func readInput() throws -> Int {
            var buffer = inputBuffer
            if let arriving = copy.arriving {
                // A whole buffer at a time: waking for every network-sized piece costs more than it saves.
                let (available, _) = try arriving.bytes(moreThan: Int64(inputBuffer.count) - 1, after: fileOffset)
                buffer = UnsafeMutableRawBufferPointer(rebasing: inputBuffer[..<Int(min(Int64(inputBuffer.count), available))])
            }
            let n = buffer.isEmpty ? 0 : try file.readFully(into: buffer, at: fileOffset)
            fileOffset += Int64(n)
            return n
        }

        var input = ZSTD_inBuffer(src: inputBuffer.baseAddress, size: 0, pos: 0)
        var endOfFile = false
        var total: Int64 = 0
        var next = 0
        while !decoder.frameComplete {
            freeOutputs.wait()
            var submitted = false
            // The semaphore must be back at its start value before it is freed, also on errors.
            defer { if !submitted { freeOutputs.signal() } }
            if let error = delivery.failure { throw error }
            let output = outputs[next % outputs.count]
            next += 1
            var produced = 0
            while produced < output.count && !decoder.frameComplete {
                if input.pos == input.size && !endOfFile {
                    let n = try readInput()
                    endOfFile = n == 0
                    input.size = n
                    input.pos = 0
                }
                let before = produced
                do {
                    produced = try decoder.decompress(&input, into: output, produced: produced)
                } catch StoreError.compression(_, let message) {
                    throw corrupt("not a valid zstd frame (\(message))")
                }
                if endOfFile && input.pos == input.size && produced == before && !decoder.frameComplete {
                    throw corrupt("truncated: the file ends inside the zstd frame after \(total + Int64(produced)) bytes of content")
                }
            }
            guard produced > 0 else { continue }
            submitted = true
            delivery.submit(UnsafeRawBufferPointer(rebasing: output[..<produced]), then: { freeOutputs.signal() })
            total += Int64(produced)
        }
        var trailing = input.size - input.pos
        if trailing == 0 && !endOfFile { trailing = try readInput() }
        if trailing > 0 {
            throw corrupt("unexpected bytes after the zstd frame")
        }
        let digest = try delivery.finish()
        guard digest == hash else { throw corrupt("its content hashes to \(digest)") }
        return total
    }

    /// The verified uncompressed bytes of blob `hash`, in memory.
    public func read(_ hash: String) throws -> Data {
        var data = Data()
        // The frame header's size is the file's claim, not a fact: reserve no more than the read
        // could need for a plausible blob, and let `append` grow past that if the bytes are really there.
        if let size = try? storedContentSize(hash) { data.reserveCapacity(Int(min(size, Self.trustedReservationBytes))) }
        try read(hash) { data.append(contentsOf: $0) }
        return data
    }

    /// Writes the verified uncompressed bytes of blob `hash` to `url` (replacing it): to a temporary
    /// file beside it first, renamed into place only once the hash checked out.
    public func export(_ hash: String, to url: URL) throws {
        let target = url.standardizedFileURL.path
        let tempPath = target + ".tlab-\(getpid())-\(UUID().uuidString).tmp"
        let file = try PosixFile.openFile(tempPath, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        do {
            try read(hash) { try file.writeAll($0) }
            try file.sync()
            file.closeFile()
            try PosixFile.move(tempPath, to: target)
        } catch {
            file.closeFile()
            _ = try? PosixFile.removeFile(tempPath)
            throw error
        }
        try PosixFile.syncDirectory((target as NSString).deletingLastPathComponent)
    }

    /// Re-reads blob `hash` and reports whether it is there and decompresses to bytes with its hash.
    /// A blob that cannot be read at all (an I/O error) counts as corrupt, with the error as reason:
    /// either way it cannot serve as a cached output. With a remote, a blob not in the cache is
    /// downloaded (see `read`), and a damaged copy in the cache is quarantined and replaced by the
    /// remote one if that verifies.
    public func verify(_ hash: String) -> BlobCheck {
        // A blob only in the remote is fetched with a check that may run twice (see `withLocalCopy`).
        if remote != nil, !contains(hash) { return blobCheck { try fetch(hash) } }
        let check = blobCheck { try read(hash) { _ in } }
        guard remote != nil, case .corrupt = check, contains(hash), (try? quarantine(hash)) != nil else { return check }
        return blobCheck { try fetch(hash) }
    }

    /// Like `verify`, for the copy in the folder only: never downloads.
    public func verifyCached(_ hash: String) -> BlobCheck {
        blobCheck { try checkFile(hash, at: BlobCopy(path: try blobPath(hash))) }
    }

    /// Reads the blob file `copy` through, checking it holds blob `hash`.
    func checkFile(_ hash: String, at copy: BlobCopy) throws {
        _ = try decompress(hash, at: copy, delivery: VerifyingDelivery(consumer: { _ in }))
    }

    /// The outcome of a check that throws `StoreError.missing` or `.corrupt` (or any other error,
    /// which counts as corrupt).
    func blobCheck(_ check: () throws -> Void) -> BlobCheck {
        do {
            try check()
            return .intact
        } catch StoreError.missing {
            return .missing
        } catch StoreError.corrupt(_, _, let reason) {
            return .corrupt(reason: reason)
        } catch {
            return .corrupt(reason: "\(error)")
        }
    }

    /// The sizes of stored blob `hash`. The raw size comes from the zstd frame header; for a blob put
    /// without a declared size the header has none, and the blob is decompressed to count it. With a
    /// remote, a blob not in the cache is downloaded (and verified) first.
    public func info(_ hash: String) throws -> BlobInfo {
        let path = try blobPath(hash)
        if remote != nil && !PosixFile.exists(path) { try fetch(hash) }
        var status = stat()
        guard stat(path, &status) == 0 else { throw StoreError.missing(hash: hash, path: path) }
        let raw = try storedContentSize(hash) ?? read(hash) { _ in }
        return BlobInfo(hash: hash, rawBytes: raw, storedBytes: Int64(status.st_size))
    }

    /// The most `read(_:)` reserves up front from a frame header's declared size (64 MiB).
    static let trustedReservationBytes: Int64 = 64 << 20

    /// The content size written in the frame header of blob `hash`, if any.
    func storedContentSize(_ hash: String) throws -> Int64? {
        let file = try openBlob(hash)
        defer { file.closeFile() }
        // A zstd frame header is at most 18 bytes.
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: 18, alignment: 8)
        defer { header.deallocate() }
        let n = try file.readFully(into: header)
        return ZstdDecoder.contentSize(ofFrameStart: UnsafeRawBufferPointer(rebasing: header[..<n])).map(Int64.init)
    }

    /// Opens blob `hash` (at `path`, by default its place in the folder) for reading; no file there is
    /// `StoreError.missing`.
    private func openBlob(_ hash: String, at path: String? = nil) throws -> PosixFile {
        let path = try path ?? blobPath(hash)
        do {
            return try PosixFile.openFile(path, flags: O_RDONLY)
        } catch StoreError.io(_, _, ENOENT) {
            throw StoreError.missing(hash: hash, path: path)
        }
    }
}
