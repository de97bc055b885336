// What can go wrong reading, decompressing or transforming a data set; each message names the file
// or parameter and what would have been valid.

import Store

/// A data set that cannot be read as its stage asks: which file or parameter, and why.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The gzip stream ended before its end marker: the file was cut short.
    case truncatedGzip(file: String, decompressedBytes: Int)
    /// The bytes are not a valid gzip stream (wrong header, bad checksum, corrupt data).
    case corruptGzip(file: String, detail: String)
    /// A tar header is malformed or an entry runs past the end of the archive.
    case corruptTar(file: String, detail: String)
    /// A member the reader needs is absent from an archive.
    case missingEntry(archive: String, entry: String, present: [String])
    /// An IDX file starts with a magic number other than the one its role needs.
    case badMagic(file: String, expected: UInt32, found: UInt32)
    /// A file's length or header disagrees with the layout it must have.
    case badLayout(file: String, detail: String)
    /// The images file and the labels file describe different numbers of items.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// Pixels, labels and dimensions given to a data set do not fit together.
    case shapeMismatch(String)
    /// A transform or generator parameter is out of its valid range.
    case invalidParameter(String)
    /// A sharded data set has no split of this name.
    case unknownSplit(String, present: [String])
    /// A sharded artifact holds no tensor of this name.
    case missingTensor(String, present: [String])

    /// One line, with the names in it escaped (see `printable`).
    public var description: String { printable(message, limit: 4000) }

    private var message: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read \(file): \(reason)"
        case let .truncatedGzip(file, produced):
            return "\(file) is truncated: the gzip stream ends after \(produced) decompressed bytes"
                + " without its end marker; download it again"
        case let .corruptGzip(file, detail):
            return "\(file) is not a valid gzip file (\(detail)); download it again"
        case let .corruptTar(file, detail):
            return "\(file) is not a valid tar archive: \(detail)"
        case let .missingEntry(archive, entry, present):
            let shown = present.prefix(8).joined(separator: ", ")
            return "\(archive) has no member \(entry) (it holds: \(shown.isEmpty ? "nothing" : shown))"
        case let .badMagic(file, expected, found):
            return "\(file): magic number 0x\(hex8(found)), expected 0x\(hex8(expected))"
                + " (0x00000803 for an IDX image file, 0x00000801 for a label file)"
        case let .badLayout(file, detail):
            return "\(file): \(detail)"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels;"
                + " they must describe the same items"
        case let .shapeMismatch(detail):
            return "inconsistent data set: \(detail)"
        case let .invalidParameter(detail):
            return detail
        case let .unknownSplit(name, present):
            return "'\(name)' is no split of this data set; it has " + present.joined(separator: ", ")
        case let .missingTensor(name, present):
            return "tensor '\(name)' is not in this data set; it has " + present.joined(separator: ", ")
        }
    }
}

private func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
