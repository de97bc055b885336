// A minimal tar reader: the regular files of a ustar (or GNU) archive, enough for the CIFAR-10 tarball.
import Foundation

/// The regular files of a tar archive held in memory, by path.
public struct TarArchive {
    /// Each regular file's path (ustar prefix joined, as written) and contents, in archive order.
    public let files: [(path: String, contents: Data)]

    /// Parses `bytes`; `name` identifies the archive in errors. Directories, links and pax/GNU
    /// metadata entries are skipped, except GNU long names, which name the entry that follows.
    public init(_ bytes: Data, name: String) throws {
        var files: [(String, Data)] = []
        var offset = bytes.startIndex
        var longName: String?
        while offset + 512 <= bytes.endIndex {
            let header = bytes[offset ..< offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }  // end-of-archive marker
            try TarArchive.verifyChecksum(header, at: offset - bytes.startIndex, archive: name)
            let size = try TarArchive.octal(header, 124, 12, field: "size", archive: name)
            let start = offset + 512
            guard start + size <= bytes.endIndex else {
                throw DatasetError.corruptTar(
                    file: name, detail: "entry at byte \(offset - bytes.startIndex) declares \(size) bytes"
                    + " but only \(bytes.endIndex - start) remain (truncated archive)")
            }
            let contents = bytes[start ..< start + size]
            let type = header[header.startIndex + 156]
            switch type {
            case UInt8(ascii: "0"), 0:
                files.append((longName ?? TarArchive.path(header), Data(contents)))
                longName = nil
            case UInt8(ascii: "L"):
                longName = TarArchive.string(contents)
            default:
                longName = nil
            }
            offset = start + (size + 511) / 512 * 512
        }
        self.files = files
    }

    /// The contents of the file at `path`, or nil.
    public func contents(of path: String) -> Data? {
        files.first { $0.path == path }?.contents
    }

    /// The path from the name field, prefixed by the ustar prefix field when there is one.
    private static func path(_ header: Data) -> String {
        let name = string(header[header.startIndex ..< header.startIndex + 100])
        // POSIX ustar's magic is "ustar\0"; GNU's is "ustar  \0" and keeps other fields where ustar
        // has its prefix.
        let magic = header[header.startIndex + 257 ..< header.startIndex + 263]
        let isPOSIX = magic.elementsEqual("ustar\0".utf8)
        let prefix = isPOSIX ? string(header[header.startIndex + 345 ..< header.startIndex + 500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// A NUL-terminated text field.
    private static func string(_ field: Data) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A numeric field: octal digits padded by spaces or NULs.
    private static func octal(_ header: Data, _ at: Int, _ length: Int, field: String,
                              archive: String) throws -> Int {
        let raw = header[header.startIndex + at ..< header.startIndex + at + length]
        let digits = string(raw).trimmingCharacters(in: .whitespaces)
        guard let value = Int(digits, radix: 8), value >= 0 else {
            throw DatasetError.corruptTar(file: archive, detail: "header field \(field) is \"\(digits)\","
                                          + " expected an octal number")
        }
        return value
    }

    /// The header checksum: the byte sum of the header with its checksum field read as spaces.
    private static func verifyChecksum(_ header: Data, at position: Int, archive: String) throws {
        let stored = try octal(header, 148, 8, field: "checksum", archive: archive)
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard sum == stored else {
            throw DatasetError.corruptTar(file: archive, detail: "header at byte \(position) has checksum"
                                          + " \(stored) but its bytes sum to \(sum)")
        }
    }
}
