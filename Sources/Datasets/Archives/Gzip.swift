// Streaming gzip decompression through the system zlib, for IDX files and the CIFAR-10 tarball.
import CZlib
import Foundation

/// gzip decompression. Input is read and inflated in chunks, so a file never has to be in memory
/// compressed and decompressed at once; concatenated gzip members are decompressed one after another.
public enum Gzip {
    /// True when `bytes` begin with the gzip magic number (1f 8b).
    public static func isGzip(_ bytes: Data) -> Bool {
        bytes.count >= 2 && bytes[bytes.startIndex] == 0x1F && bytes[bytes.startIndex + 1] == 0x8B
    }

    /// True when the file at `path` begins with the gzip magic number.
    public static func isGzip(fileAt path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return isGzip((try? handle.read(upToCount: 2)) ?? Data())
    }

    /// Streams the decompressed content of the gzip file at `path` to `sink`, chunk by chunk.
    public static func decompress(fileAt path: String,
                                  into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError.unreadable(file: path, reason: "no such file or no permission")
        }
        defer { try? handle.close() }
        let inflater = try Inflater(name: path)
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DatasetError.unreadable(file: path, reason: "\(error)")
            }
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { try inflater.feed($0, into: sink) }
        }
        try inflater.finish()
    }

    /// The decompressed content of the gzip file at `path`.
    public static func decompress(fileAt path: String) throws -> Data {
        var out = Data()
        try decompress(fileAt: path) { out.append(contentsOf: $0) }
        return out
    }

    /// The decompressed content of `data`; `name` identifies it in errors.
    public static func decompress(_ data: Data, name: String) throws -> Data {
        var out = Data()
        let inflater = try Inflater(name: name)
        try data.withUnsafeBytes { try inflater.feed($0) { out.append(contentsOf: $0) } }
        try inflater.finish()
        return out
    }
}

/// One zlib inflate stream, fed input chunks as they arrive: gzip members (concatenated ones one
/// after another), or the raw deflate data of a zip entry.
final class Inflater {
    enum Framing {
        case gzip
        case rawDeflate

        /// zlib's windowBits: 15 + 16 accepts gzip framing only; -15 raw deflate.
        var windowBits: Int32 { self == .gzip ? 15 + 16 : -15 }
    }

    private let name: String
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private var produced = 0
    private var sawInput = false
    /// True right after a member's end marker: the data so far forms complete gzip members.
    private var atMemberEnd = false

    init(name: String, framing: Framing = .gzip) throws {
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: 1 << 18)
        // `inflateInit2` is a C macro.
        let rc = inflateInit2_(stream, framing.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw DatasetError.corruptGzip(file: name, detail: "zlib could not start (code \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func feed(_ input: UnsafeRawBufferPointer,
              into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        sawInput = true
        if atMemberEnd { try startNextMember() }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        try output.withUnsafeMutableBufferPointer { out in
            repeat {
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let rc = inflate(stream, Z_NO_FLUSH)
                let count = out.count - Int(stream.pointee.avail_out)
                if count > 0 {
                    produced += count
                    try sink(UnsafeRawBufferPointer(start: out.baseAddress, count: count))
                }
                switch rc {
                case Z_STREAM_END:
                    atMemberEnd = true
                    if stream.pointee.avail_in > 0 { try startNextMember() } else { return }
                case Z_OK:
                    break
                case Z_BUF_ERROR:
                    return  // every input byte consumed; the member continues in the next chunk
                default:
                    throw DatasetError.corruptGzip(file: name, detail: zlibMessage(rc))
                }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
        }
    }

    /// Fails unless the input ended exactly at the end of a gzip member (of the deflate stream).
    func finish() throws {
        guard sawInput else { throw DatasetError.corruptGzip(file: name, detail: "the file is empty") }
        guard atMemberEnd else { throw DatasetError.truncatedGzip(file: name, decompressedBytes: produced) }
    }

    private func startNextMember() throws {
        atMemberEnd = false
        let rc = inflateReset(stream)
        guard rc == Z_OK else { throw DatasetError.corruptGzip(file: name, detail: zlibMessage(rc)) }
    }

    private func zlibMessage(_ rc: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        return "zlib error \(rc)"
    }
}
