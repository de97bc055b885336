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

    /// The uncompressed bytes of `entry`, checked against its size and CRC-32.
    func contents(of entry: Entry) throws -> Data {
        let name = "\(path):\(entry.path)"
        guard !entry.encrypted else { throw DatasetError.badLayout(file: name, detail: "is encrypted, which is not supported") }
        let header = try Self.read(file, at: entry.localHeaderOffset, count: 30, path: path)
        guard header.count == 30, header.le32(header.startIndex) == 0x0403_4B50 else {
            throw DatasetError.badLayout(file: name, detail: "has no local header where the central directory says")
        }
        let dataStart = entry.localHeaderOffset + 30 + Int(header.le16(header.startIndex + 26)) + Int(header.le16(header.startIndex + 28))
        let stored = try Self.read(file, at: dataStart, count: entry.compressedSize, path: path)
        guard stored.count == entry.compressedSize else {
            throw DatasetError.badLayout(file: name, detail: "is cut short: \(stored.count) of \(entry.compressedSize) bytes (truncated archive)")
        }
        let data: Data
        switch entry.method {
        case 0: data = stored
        case 8:
            var out = Data(capacity: entry.size)
            do {
                let inflater = try Inflater(name: name, framing: .rawDeflate)
                try stored.withUnsafeBytes { try inflater.feed($0) { out.append(contentsOf: $0) } }
                try inflater.finish()
            } catch {
                throw DatasetError.badLayout(file: name, detail: "its deflate data is corrupt")
            }
            data = out
        default:
            throw DatasetError.badLayout(file: name, detail: "uses compression method \(entry.method); only stored (0) and deflate (8) are supported")
        }
        let crc = data.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count))) }
        guard data.count == entry.size, crc == entry.crc32 else {
            throw DatasetError.badLayout(file: name, detail: "does not match its recorded size and CRC-32 (corrupt archive)")
        }
        return data
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
