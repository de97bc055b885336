// What can be wrong with one image file of an image folder; each message names the file and the fault.
import Store

/// A PNG or JPEG that cannot be decoded. The stage adds what to do (fix or remove the file, or set
/// `skip_bad_images: true`).
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a valid PNG or JPEG stream; `detail` is the decoder's own message.
    case corrupt(file: String, format: ImageFormat, detail: String)
    /// The file ends before the image is complete.
    case truncated(file: String, format: ImageFormat, detail: String)
    /// The file is neither PNG nor JPEG, whatever its name says.
    case notAnImage(file: String, leadingBytes: [UInt8])
    /// Width × height exceeds `ImageDecoder.maxPixels` (a decompression bomb, or a panorama).
    case tooLarge(file: String, detail: String)

    public var file: String {
        switch self {
        case let .corrupt(file, _, _), let .truncated(file, _, _), let .notAnImage(file, _), let .tooLarge(file, _): return file
        }
    }

    /// The fault without the file name, for lists of skipped files.
    public var reason: String {
        switch self {
        case let .corrupt(_, format, detail): return "corrupt \(format.rawValue) data (\(detail))"
        case let .truncated(_, format, detail): return "truncated \(format.rawValue) file (\(detail))"
        case let .notAnImage(_, bytes):
            let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            return "not a PNG or JPEG file (it starts with \(hex.isEmpty ? "nothing: it is empty" : hex.joined(separator: " ")))"
        case let .tooLarge(_, detail): return "too large to decode (\(detail))"
        }
    }

    /// One line, with the file name escaped (see `printable`).
    public var description: String { printable("\(file): \(reason)", limit: 4000) }
}

/// A file of an image folder that could not be decoded and was left out (`skip_bad_images`), and why.
public struct SkippedImage: Codable, Equatable, Sendable {
    /// Relative to the image folder.
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

/// The image formats an image folder may hold.
public enum ImageFormat: String, Sendable, Codable {
    case png = "PNG"
    case jpeg = "JPEG"

    /// The format whose signature `bytes` start with: PNG's 8-byte signature, or JPEG's SOI marker
    /// followed by another marker.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.count >= 8 && Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        return nil
    }
}
