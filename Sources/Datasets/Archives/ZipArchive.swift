// A small zip reader: the central directory, then each entry stored or deflated (raw deflate through
// zlib), checked against its CRC-32 and sizes. Enough for image-folder archives; zip64 and encrypted
// archives are refused with a message.
import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A zip file opened for random access.
struct ZipArchive {
    struct Entry {
        let path: String
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
        let encrypted: Bool

        var isDirectory: Bool { path.hasSuffix("/") }
    }

    let path: String
    let entries: [Entry]
    private let file: FileHandle

    /// Reads the central directory of the zip file at `path`.
    init(path: String) throws {
        self.path = path
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw DatasetError.unreadable(file: path, reason: "no such file or no permission")
        }
        self.file = file
        let size = Int(try file.seekToEnd())
        // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB, at the end.
        let tailStart = max(0, size - 22 - 0xFFFF)
        let tail = try Self.read(file, at: tailStart, count: size - tailStart, path: path)
        guard let eocd = tail.lastRange(of: Data([0x50, 0x4B, 0x05, 0x06]))?.lowerBound, eocd + 22 <= tail.endIndex else {
            throw DatasetError.badLayout(file: path, detail: "no zip end-of-central-directory record (not a zip file, or truncated)")
        }
        let count = Int(tail.le16(eocd + 10)), directorySize = Int(tail.le32(eocd + 12)), directoryOffset = Int(tail.le32(eocd + 16))
        if count == 0xFFFF || directoryOffset == 0xFFFF_FFFF {
            throw DatasetError.badLayout(file: path, detail: "is a zip64 archive, which is not supported; use .tar or .tar.gz")
        }
        guard directoryOffset + directorySize <= size else {
            throw DatasetError.badLayout(file: path, detail: "its central directory lies beyond the end of the file (truncated)")
        }
        let directory = try Self.read(file, at: directoryOffset, count: directorySize, path: path)
        var entries: [Entry] = []
        var at = directory.startIndex
        for _ in 0..<count {
            guard at + 46 <= directory.endIndex, directory.le32(at) == 0x0201_4B50 else {
                throw DatasetError.badLayout(file: path, detail: "central directory entry \(entries.count + 1) is malformed")
            }
            let nameLength = Int(directory.le16(at + 28)), extraLength = Int(directory.le16(at + 30)),
                commentLength = Int(directory.le16(at + 32))
            guard at + 46 + nameLength <= directory.endIndex else {
                throw DatasetError.badLayout(file: path, detail: "central directory entry \(entries.count + 1) is cut short")
            }
            let name = String(decoding: directory[at + 46 ..< at + 46 + nameLength], as: UTF8.self)
            let compressed = Int(directory.le32(at + 20)), size = Int(directory.le32(at + 24))
            if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF {
                throw DatasetError.badLayout(file: path, detail: "entry \(name) needs zip64, which is not supported")
            }
            entries.append(Entry(path: name, method: directory.le16(at + 10), crc32: directory.le32(at + 16),
                                 compressedSize: compressed, size: size, localHeaderOffset: Int(directory.le32(at + 42)),
                                 encrypted: directory.le16(at + 8) & 1 != 0))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// Streams the uncompressed bytes of `entry` to `sink` in pieces, stopping with an error as soon
    /// as they would exceed the size the central directory declares, and checks size and CRC-32 at
    /// the end. Only a piece of the compressed data is in memory at a time.
    func stream(_ entry: Entry, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        func bad(_ detail: String) -> ArchiveError { .badEntry(archive: path, entry: entry.path, detail: detail) }
        guard !entry.encrypted else { throw bad("is encrypted, which is not supported") }
        let header = try Self.read(file, at: entry.localHeaderOffset, count: 30, path: path)
        guard header.count == 30, header.le32(header.startIndex) == 0x0403_4B50 else {
            throw bad("has no local header where the central directory says")
        }
        let dataStart = entry.localHeaderOffset + 30 + Int(header.le16(header.startIndex + 26)) + Int(header.le16(header.startIndex + 28))
        let inflater: Inflater?
        switch entry.method {
        case 0: inflater = nil
        case 8: inflater = try Inflater(name: "\(path):\(entry.path)", framing: .rawDeflate)
        default: throw bad("uses compression method \(entry.method); only stored (0) and deflate (8) are supported")
        }
        var produced = 0
        var crc = crc32(0, nil, 0)
        func deliver(_ piece: UnsafeRawBufferPointer) throws {
            guard produced + piece.count <= entry.size else {
                throw ArchiveError.largerThanDeclared(archive: path, entry: entry.path, declaredBytes: entry.size)
            }
            produced += piece.count
            crc = crc32(crc, piece.bindMemory(to: Bytef.self).baseAddress, uInt(piece.count))
            try sink(piece)
        }
        var offset = 0
        while offset < entry.compressedSize {
            let stored = try Self.read(file, at: dataStart + offset, count: min(1 << 20, entry.compressedSize - offset), path: path)
            guard !stored.isEmpty else {
                throw bad("is cut short: \(offset) of \(entry.compressedSize) bytes (truncated archive)")
            }
            offset += stored.count
            try stored.withUnsafeBytes { piece in
                guard let inflater else { return try deliver(piece) }
                do {
                    try inflater.feed(piece, into: deliver)
                } catch let error as DatasetError {
                    throw bad("has corrupt deflate data (\(error))")
                }
            }
        }
        if let inflater {
            do { try inflater.finish() } catch { throw bad("has corrupt or truncated deflate data") }
        }
        guard produced == entry.size, UInt32(crc) == entry.crc32 else {
            throw bad("does not match its recorded size and CRC-32 (corrupt archive)")
        }
    }

    private static func read(_ file: FileHandle, at offset: Int, count: Int, path: String) throws -> Data {
        do {
            try file.seek(toOffset: UInt64(offset))
            return try file.read(upToCount: count) ?? Data()
        } catch {
            throw DatasetError.unreadable(file: path, reason: "\(error)")
        }
    }
}

private extension Data {
    func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func le32(_ at: Int) -> UInt32 { UInt32(le16(at)) | UInt32(le16(at + 2)) << 16 }
}
