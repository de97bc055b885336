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
    /// zstd worker threads for an input of `bytes` (nil: unknown size), 0 meaning compress on the
    /// calling thread. Workers let the caller hash while the cores compress, which pays only when a
    /// core is free. Measured on the 2-core build machine, level 3, float32 noise, put MB/s, while other
    /// builds kept the load average near 9: 512 MiB: 0 workers 206-225, 1 worker 166-170 (compression
    /// and hashing then take turns), 2 workers 213-294; 64 MiB: 0 workers 202-289, 2 workers 154-214
    /// with 20% more CPU; 16 MiB: no gain. Compressing alone (no hashing), measured before the store
    /// was written with alternating runs of `ZSTD_c_nbWorkers` 2 and 0 on the same machine, level 3
    /// went 1.5-2x faster while the second core was free and 0.6-0.8x as fast while another process
    /// held it. Whether a core is free cannot be known cheaply (the
    /// load average lags by a minute and counts our own training that just ended), so the rule is by
    /// size only: as many workers as cores (at most 4) from 64 MiB or for an unknown size.
    static func workers(forBytes bytes: Int64?,
                        cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int32 {
        guard cores > 1, bytes.map({ $0 >= 64 << 20 }) ?? true else { return 0 }
        return Int32(min(cores, 4))
    }

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer

    /// `pledgedBytes`, when known, goes into the frame header as its content size and is enforced.
    init(level: Int, pledgedBytes: Int64?) throws {
        guard let ctx = ZSTD_createCCtx() else {
            throw StoreError.compression(operation: "create context", message: "out of memory")
        }
        context = ctx
        output = .allocate(byteCount: 1 << 20, alignment: 64)
        do {
            _ = try check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, Int32(clamping: level)), "set level \(level)")
            if let size = pledgedBytes {
                _ = try check(ZSTD_CCtx_setPledgedSrcSize(ctx, UInt64(size)), "pledge size \(size)")
            }
            let workers = Self.workers(forBytes: pledgedBytes)
            if workers > 0 {
                // A libzstd built without threads rejects this; compressing on one thread is then fine.
                _ = ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, workers)
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
