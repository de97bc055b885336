// Unpacking an image-folder archive (.tar, .tar.gz/.tgz, .zip) into a folder, one entry at a time,
// refusing entries that would land outside it.
import Foundation

enum ArchiveExtraction {
    enum Format { case tar, gzippedTar, zip }

    /// The format of the file at `path`, told by its first bytes, or nil for none of the three.
    static func format(of path: String) -> Format? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        if head.starts(with: [0x1F, 0x8B]) { return .gzippedTar }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if head.count >= 262 && head[257 ..< 262].elementsEqual("ustar".utf8) { return .tar }
        return nil
    }

    /// Writes every regular file of the archive at `path` below `directory`; returns how many.
    @discardableResult
    static func extract(_ path: String, into directory: String) throws -> Int {
        guard let format = format(of: path) else {
            throw DatasetError.badLayout(file: path, detail: "is not a .tar, .tar.gz or .zip archive")
        }
        var count = 0
        func write(_ name: String, _ bytes: UnsafeRawBufferPointer) throws {
            let target = try destination(of: name, in: directory, archive: path)
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: target, contents: Data(bytes)) else {
                throw DatasetError.unreadable(file: target, reason: "cannot write it while unpacking \(path)")
            }
            count += 1
        }
        switch format {
        case .zip:
            let zip = try ZipArchive(path: path)
            for entry in zip.entries where !entry.isDirectory {
                let data = try zip.contents(of: entry)
                try data.withUnsafeBytes { try write(entry.path, $0) }
            }
        case .tar, .gzippedTar:
            var reader = TarReader(archive: path)
            let feed: (UnsafeRawBufferPointer) throws -> Void = { chunk in try reader.feed(chunk, file: write) }
            if format == .gzippedTar {
                try Gzip.decompress(fileAt: path, into: feed)
            } else {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw DatasetError.unreadable(file: path, reason: "no such file or no permission")
                }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes(feed)
                }
            }
            try reader.finish()
        }
        return count
    }

    /// Where entry `name` goes: below `directory`, never above it (no absolute paths, no `..`).
    private static func destination(of name: String, in directory: String, archive: String) throws -> String {
        let parts = name.split(separator: "/").filter { $0 != "." && !$0.isEmpty }
        guard !name.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
            throw DatasetError.badLayout(file: archive, detail: "entry \(name) would be written outside the folder it is unpacked into")
        }
        return (directory as NSString).appendingPathComponent(parts.joined(separator: "/"))
    }
}
