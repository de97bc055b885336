// A minimal tar reader: the regular files of a ustar (or GNU) archive, in memory (the CIFAR-10
// tarball) or streamed entry by entry (image-folder archives of any size).
import Foundation

/// One 512-byte tar header, parsed.
struct TarHeader {
    enum Kind { case file, longName, other, end }

    let kind: Kind
    /// The path from the name field, prefixed by the ustar prefix field when there is one.
    let path: String
    let size: Int

    /// Parses the header in `block` (512 bytes); `position` and `archive` name it in errors.
    init(_ block: UnsafeRawBufferPointer, at position: Int, archive: String) throws {
        precondition(block.count == 512)
        if block.allSatisfy({ $0 == 0 }) {  // end-of-archive marker
            (kind, path, size) = (.end, "", 0)
            return
        }
        try Self.verifyChecksum(block, at: position, archive: archive)
        size = try Self.octal(block, 124, 12, field: "size", archive: archive)
        let name = Self.string(block, 0, 100)
        // POSIX ustar's magic is "ustar\0"; GNU's is "ustar  \0" and keeps other fields where ustar
        // has its prefix.
        let isPOSIX = block[257 ..< 263].elementsEqual("ustar\0".utf8)
        let prefix = isPOSIX ? Self.string(block, 345, 155) : ""
        path = prefix.isEmpty ? name : prefix + "/" + name
        switch block[156] {
        case UInt8(ascii: "0"), 0: kind = .file
        case UInt8(ascii: "L"): kind = .longName
        default: kind = .other
        }
    }

    /// Bytes from the header to the next one: the data padded to a whole block.
    var paddedSize: Int { (size + 511) / 512 * 512 }

    /// A NUL-terminated text field.
    static func string(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ length: Int) -> String {
        String(decoding: bytes[at ..< at + length].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A numeric field: octal digits padded by spaces or NULs.
    private static func octal(_ block: UnsafeRawBufferPointer, _ at: Int, _ length: Int, field: String,
                              archive: String) throws -> Int {
        let digits = string(block, at, length).trimmingCharacters(in: .whitespaces)
        guard let value = Int(digits, radix: 8), value >= 0 else {
            throw DatasetError.corruptTar(file: archive, detail: "header field \(field) is \"\(digits)\","
                                          + " expected an octal number")
        }
        return value
    }

    /// The header checksum: the byte sum of the header with its checksum field read as spaces.
    private static func verifyChecksum(_ block: UnsafeRawBufferPointer, at position: Int, archive: String) throws {
        let stored = try octal(block, 148, 8, field: "checksum", archive: archive)
        var sum = 0
        for (i, byte) in block.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard sum == stored else {
            throw DatasetError.corruptTar(file: archive, detail: "header at byte \(position) has checksum"
                                          + " \(stored) but its bytes sum to \(sum)")
        }
    }
}

/// The regular files of a tar archive held in memory, by path.
public struct TarArchive {
    /// Each regular file's path (ustar prefix joined, as written) and contents, in archive order.
    public let files: [(path: String, contents: Data)]

    /// Parses `bytes`; `name` identifies the archive in errors. Directories, links and pax/GNU
    /// metadata entries are skipped, except GNU long names, which name the entry that follows.
    public init(_ bytes: Data, name: String) throws {
        var reader = TarReader(archive: name)
        var files: [(String, Data)] = []
        try bytes.withUnsafeBytes { raw in
            try reader.feed(raw) { path, contents in files.append((path, Data(contents))) }
        }
        try reader.finish()
        self.files = files
    }

    /// The contents of the file at `path`, or nil.
    public func contents(of path: String) -> Data? {
        files.first { $0.path == path }?.contents
    }
}

/// A tar archive read as a stream of byte chunks: each regular file is handed over whole as soon as
/// its data has arrived, so only one entry is held at a time.
struct TarReader {
    let archive: String
    private var pending: [UInt8] = []
    private var position = 0
    private var longName: String?
    private(set) var ended = false

    init(archive: String) { self.archive = archive }

    /// Consumes `chunk`, calling `file` with each regular file completed by it (path, contents).
    mutating func feed(_ chunk: UnsafeRawBufferPointer,
                       file: (String, UnsafeRawBufferPointer) throws -> Void) throws {
        guard !ended else { return }
        pending.append(contentsOf: chunk)
        var start = 0
        defer { pending.removeFirst(start) }
        try pending.withUnsafeBytes { bytes in
            while !ended && bytes.count - start >= 512 {
                let header = try TarHeader(UnsafeRawBufferPointer(rebasing: bytes[start ..< start + 512]),
                                           at: position, archive: archive)
                if header.kind == .end {
                    ended = true
                    return
                }
                guard bytes.count - start - 512 >= header.paddedSize else { return }  // wait for the data
                let data = UnsafeRawBufferPointer(rebasing: bytes[start + 512 ..< start + 512 + header.size])
                switch header.kind {
                case .file:
                    try file(longName ?? header.path, data)
                    longName = nil
                case .longName:
                    longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                default:
                    longName = nil
                }
                start += 512 + header.paddedSize
                position += 512 + header.paddedSize
            }
        }
    }

    /// Fails unless the archive was complete: its end marker seen, or the data ending between entries.
    func finish() throws {
        guard ended || pending.isEmpty else {
            throw DatasetError.corruptTar(file: archive, detail: "the archive ends inside the entry at byte \(position)"
                                          + " (truncated archive)")
        }
    }
}
