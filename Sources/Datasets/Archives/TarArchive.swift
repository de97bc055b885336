// A minimal tar reader: the regular files of a ustar, GNU or pax archive, in memory (the CIFAR-10
// tarball) or streamed piece by piece (image-folder archives of any size).
import Foundation

/// One 512-byte tar header, parsed.
struct TarHeader {
    enum Kind { case file, longName, paxHeader, other, end }

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
        case UInt8(ascii: "x"): kind = .paxHeader
        default: kind = .other  // directories, links, devices, global pax headers: nothing to write
        }
    }

    /// Bytes from the end of the header to the next one: the data padded to a whole block.
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

/// The `path` record of a pax extended header ("<length> path=<name>\n" records), if it has one.
func paxPath(_ records: [UInt8], archive: String) throws -> String? {
    var at = 0
    var path: String?
    while at < records.count {
        guard let space = records[at...].firstIndex(of: UInt8(ascii: " ")),
              let length = Int(String(decoding: records[at..<space], as: UTF8.self)), length >= space - at + 2,
              at + length <= records.count, records[at + length - 1] == UInt8(ascii: "\n") else {
            throw DatasetError.corruptTar(file: archive, detail: "a pax extended header has a malformed record at its byte \(at)")
        }
        let record = records[(space + 1)..<(at + length - 1)]
        if let equals = record.firstIndex(of: UInt8(ascii: "=")), record[..<equals].elementsEqual("path".utf8) {
            path = String(decoding: record[(equals + 1)...], as: UTF8.self)
        }
        at += length
    }
    return path
}

/// The regular files of a tar archive held in memory, by path.
public struct TarArchive {
    /// Each regular file's path (ustar prefix joined, as written) and contents, in archive order.
    public let files: [(path: String, contents: Data)]

    /// Parses `bytes`; `name` identifies the archive in errors. Directories, links and other
    /// metadata entries are skipped; GNU long names and pax `path` records name the entry that follows.
    public init(_ bytes: Data, name: String) throws {
        var reader = TarReader(archive: name)
        let files = InMemoryFiles()
        try bytes.withUnsafeBytes { try reader.feed($0, to: files) }
        try reader.finish()
        self.files = files.files
    }

    /// The contents of the file at `path`, or nil.
    public func contents(of path: String) -> Data? {
        files.first { $0.path == path }?.contents
    }
}

/// Where a `TarReader` hands each regular file: its start (path and declared size), its bytes in
/// pieces, its end.
protocol TarEntryConsumer: AnyObject {
    func begin(_ path: String, size: Int) throws
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func end() throws
}

private final class InMemoryFiles: TarEntryConsumer {
    var files: [(path: String, contents: Data)] = []
    func begin(_ path: String, size: Int) { files.append((path, Data())) }
    func write(_ bytes: UnsafeRawBufferPointer) { files[files.count - 1].contents.append(contentsOf: bytes) }
    func end() {}
}

/// A tar archive read as a stream of byte chunks. Each regular file's data is passed on as it
/// arrives, never held whole, and never beyond the size its header declares.
struct TarReader {
    /// Metadata entries (GNU long names, pax headers) are held in memory; real ones are a few
    /// hundred bytes.
    static let maxMetadataBytes = 1 << 20

    private enum Phase {
        case header
        case content(remaining: Int)
        case padding(remaining: Int)
        case ended
    }

    private enum Target { case file, longName, pax, skip }

    let archive: String
    private var phase = Phase.header
    private var target = Target.skip
    private var block: [UInt8] = []
    private var metadata: [UInt8] = []
    /// The name a long-name or pax entry gave the entry that follows.
    private var nextName: String?
    /// Where the current header starts, for errors.
    private var position = 0
    private var consumed = 0
    /// Padding to skip after the current entry's content, to the next 512-byte boundary.
    private var pendingPadding = 0

    init(archive: String) { self.archive = archive }

    /// Consumes `chunk`, handing the regular files' data to `consumer`.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, to consumer: TarEntryConsumer) throws {
        var rest = chunk[...]
        while !rest.isEmpty {
            switch phase {
            case .ended:
                return
            case .header:
                let take = min(512 - block.count, rest.count)
                block.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
                rest = rest.dropFirst(take)
                consumed += take
                if block.count == 512 { try startEntry(consumer) }
            case .content(let remaining):
                let take = min(remaining, rest.count)
                let piece = UnsafeRawBufferPointer(rebasing: rest.prefix(take))
                switch target {
                case .file: try consumer.write(piece)
                case .longName, .pax: metadata.append(contentsOf: piece)
                case .skip: break
                }
                rest = rest.dropFirst(take)
                consumed += take
                phase = .content(remaining: remaining - take)
                if remaining == take { try endEntry(consumer) }
            case .padding(let remaining):
                let take = min(remaining, rest.count)
                rest = rest.dropFirst(take)
                consumed += take
                phase = remaining == take ? .header : .padding(remaining: remaining - take)
            }
        }
    }

    private mutating func startEntry(_ consumer: TarEntryConsumer) throws {
        position = consumed - 512
        let header = try block.withUnsafeBytes { try TarHeader($0, at: position, archive: archive) }
        block.removeAll(keepingCapacity: true)
        switch header.kind {
        case .end:
            phase = .ended
            return
        case .file:
            target = .file
            try consumer.begin(nextName ?? header.path, size: header.size)
            nextName = nil
        case .longName, .paxHeader:
            guard header.size <= Self.maxMetadataBytes else {
                throw DatasetError.corruptTar(file: archive, detail: "the metadata entry at byte \(position) declares"
                                              + " \(header.size) bytes; at most \(Self.maxMetadataBytes) are accepted")
            }
            target = header.kind == .longName ? .longName : .pax
            metadata.removeAll(keepingCapacity: true)
        case .other:
            target = .skip
            nextName = nil
        }
        pendingPadding = header.paddedSize - header.size
        phase = .content(remaining: header.size)
        if header.size == 0 { try endEntry(consumer) }
    }

    private mutating func endEntry(_ consumer: TarEntryConsumer) throws {
        switch target {
        case .file: try consumer.end()
        case .longName: nextName = String(decoding: metadata.prefix { $0 != 0 }, as: UTF8.self)
        case .pax: if let path = try paxPath(metadata, archive: archive) { nextName = path }
        case .skip: break
        }
        phase = pendingPadding > 0 ? .padding(remaining: pendingPadding) : .header
    }

    /// Fails unless the archive was complete: its end marker seen, or the data ending between entries.
    func finish() throws {
        switch phase {
        case .ended: return
        case .header where block.isEmpty: return
        default:
            throw DatasetError.corruptTar(file: archive, detail: "the archive ends inside the entry at byte \(position)"
                                          + " (truncated archive)")
        }
    }
}
