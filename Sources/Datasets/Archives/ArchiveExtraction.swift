// Unpacking an image-folder archive (.tar, .tar.gz/.tgz, .zip) into a folder, one entry at a time
// and streamed to disk, refusing entries that would land outside it, collide with another entry, or
// take the unpacked total beyond its limits.
import Foundation

package enum ArchiveExtraction {
    package enum Format { case tar, gzippedTar, zip }

    /// The format of the file at `path`, told by its first bytes, or nil for none of the three.
    package static func format(of path: String) -> Format? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        if head.starts(with: [0x1F, 0x8B]) { return .gzippedTar }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if head.count >= 262 && head[257 ..< 262].elementsEqual("ustar".utf8) { return .tar }
        return nil
    }

    /// Writes every regular file of the archive at `path` below `directory` (which must be empty or
    /// absent); returns how many. Memory use is a few MiB whatever the entries' sizes.
    @discardableResult
    package static func extract(_ path: String, into directory: String, limits: UnpackLimits = .defaults) throws -> Int {
        guard let format = format(of: path) else {
            throw DatasetError.badLayout(file: path, detail: "is not a .tar, .tar.gz or .zip archive")
        }
        // The ratio limit is against the archive's own size (not a symbolic link's leading to it).
        let folder = UnpackedFolder(archive: path, directory: directory, archiveBytes: try fileBytes(path), limits: limits)
        defer { folder.close() }
        switch format {
        case .zip:
            let zip = try ZipArchive(path: path)
            for entry in zip.entries where !entry.isDirectory {
                try folder.begin(entry.path, size: entry.size)
                try zip.stream(entry, into: folder.write)
                try folder.end()
            }
        case .tar, .gzippedTar:
            var reader = TarReader(archive: path)
            let feed: (UnsafeRawBufferPointer) throws -> Void = { chunk in try reader.feed(chunk, to: folder) }
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
        return folder.count
    }
}
