// Streaming zstd compression into one frame and decompression of one frame, over libzstd's
// ZSTD_compressStream2 / ZSTD_decompressStream, with errors turned into `StoreError`.
import CZstd
import Foundation

private func check(_ code: Int, _ operation: String) throws -> Int {
    if ZSTD_isError(code) != 0 {
        throw StoreError.compression(operation: operation, message: String(cString: ZSTD_getErrorName(code)))
    }
    return code
}

/// Compresses a stream of bytes into a single zstd frame, handing compressed output to a sink.
final class ZstdEncoder {
    /// Inputs at least this large are compressed by zstd worker threads. Measured on the 2-core
    /// build machine with 1 GiB of float32 noise at level 3: single-threaded compression (~400 MB/s)
    /// plus SHA-256 on the same thread gave ~300 MB/s; two workers let the calling thread hash while
    /// both cores compress (see `StoreBenchmark`). Below a few zstd jobs' worth of input the thread
    /// start-up costs more than it saves, hence the floor.
    static let parallelThreshold: Int64 = 16 << 20
    static let workerCount: Int32 = Int32(min(ProcessInfo.processInfo.activeProcessorCount, 4))

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer

    /// `pledgedBytes`, when known, goes into the frame header as its content size and is enforced.
    init(level: Int32, pledgedBytes: Int64?) throws {
        guard let ctx = ZSTD_createCCtx() else {
            throw StoreError.compression(operation: "create context", message: "out of memory")
        }
        context = ctx
        output = .allocate(byteCount: 1 << 20, alignment: 64)
        do {
            _ = try check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level), "set level \(level)")
            if let size = pledgedBytes {
                _ = try check(ZSTD_CCtx_setPledgedSrcSize(ctx, UInt64(size)), "pledge size \(size)")
            }
            if pledgedBytes.map({ $0 >= Self.parallelThreshold }) ?? true, Self.workerCount > 1 {
                // A libzstd built without threads rejects this; compressing on one thread is then fine.
                _ = ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, Self.workerCount)
            }
        } catch {
            ZSTD_freeCCtx(ctx)
            output.deallocate()
            throw error
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    func compress(_ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size {
            try step(&input, ZSTD_e_continue, sink)
        }
    }

    /// Ends the frame; zstd reports a size that differs from the pledged one as an error here.
    func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end, sink) != 0 {}
    }

    @discardableResult
    private func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective,
                      _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = try check(ZSTD_compressStream2(context, &out, &input, mode), "compress")
        if out.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[..<out.pos])) }
        return remaining
    }
}

/// Decompresses one zstd frame fed to it in pieces.
final class ZstdDecoder {
    private let context: OpaquePointer
    private(set) var frameComplete = false

    init() throws {
        guard let ctx = ZSTD_createDCtx() else {
            throw StoreError.compression(operation: "create decompression context", message: "out of memory")
        }
        context = ctx
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses from `input` (advancing `input.pos`) into `output[produced...]`; returns the new
    /// produced count. Stops when the output is full, the input is used up or the frame ends.
    func decompress(_ input: inout ZSTD_inBuffer, into output: UnsafeMutableRawBufferPointer,
                    produced: Int) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: produced)
        let hint = try check(ZSTD_decompressStream(context, &out, &input), "decompress")
        if hint == 0 { frameComplete = true }
        return out.pos
    }

    /// The content size a frame header declares, or nil if the header has none or is unreadable.
    static func contentSize(ofFrameStart bytes: UnsafeRawBufferPointer) -> UInt64? {
        let size = ZSTD_getFrameContentSize(bytes.baseAddress, bytes.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
        if size >= UInt64.max - 1 { return nil }
        return size
    }
}
