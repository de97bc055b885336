// PNG and JPEG to 8-bit RGB through libpng and libjpeg-turbo (the CPNG and CJPEG shims run every
// library call that can fail under setjmp, in C), with a JPEG's EXIF orientation applied.
import CJPEG
import CPNG
import Foundation

/// Decodes image files: the format is told by the bytes, not the file name.
public enum ImageDecoder {
    /// The largest image decoded, in pixels (about 178 megapixels, Pillow's decompression-bomb limit):
    /// a 5-byte-per-pixel working set stays under a gigabyte.
    public static let maxPixels: UInt64 = 178_956_970
    /// The longest side decoded, in pixels. Resampling weights grow with the ratio of a side to the
    /// output's, so a 178,956,970×1 strip within the pixel limit would still take gigabytes.
    public static let maxSide = 32_768
    /// The most one image's decoding may take (see `ImageHeader.workingBytes`): 1 GiB.
    public static let maxWorkingBytes: Int64 = 1 << 30

    /// Decodes the image in `bytes` and hands it to `body` while holding its working memory in the
    /// process-wide `ImageMemoryBudget`, so that images decoded in parallel stay within it together.
    /// The header is checked against `maxSide` and `maxWorkingBytes` before anything is decoded.
    static func withDecoded<T>(_ bytes: Data, name: String, budget: ImageMemoryBudget = .shared,
                               _ body: (DecodedImage) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw -> T in
            let header = ImageHeader.read(raw)
            // The decoder reads headers more leniently than `ImageHeader` (libjpeg skips stray bytes
            // between markers), so a PNG or JPEG whose size cannot be read here is refused rather than
            // decoded unbounded.
            if header == nil, let format = ImageFormat.sniff(raw) {
                throw ImageError.corrupt(file: name, format: format,
                                         detail: "its image size cannot be read from its header before decoding")
            }
            if let header {
                guard header.width <= maxSide && header.height <= maxSide else {
                    throw ImageError.tooLarge(file: name, detail: "\(header.width)x\(header.height) pixels; each side may be at most \(maxSide)")
                }
                guard header.workingBytes <= maxWorkingBytes else {
                    throw ImageError.tooLarge(file: name, detail: "\(header.width)x\(header.height) pixels"
                                              + (header.progressive ? " (progressive)" : "")
                                              + " would take \(header.workingBytes >> 20) MiB to decode; at most \(maxWorkingBytes >> 20) MiB")
                }
            }
            // Without a header, `decode` refuses the file as not an image before allocating pixels.
            return try budget.holding(header?.workingBytes ?? 0) { try body(try decode(raw, name: name)) }
        }
    }

    /// The image in `bytes`, upright: a JPEG's EXIF orientation (1…8) is applied, as a camera's viewer
    /// shows it. `name` identifies the file in errors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> DecodedImage {
        switch ImageFormat.sniff(bytes) {
        case .png?: return try decodePNG(bytes, name: name)
        case .jpeg?: return try decodeJPEG(bytes, name: name)
        case nil: throw ImageError.notAnImage(file: name, leadingBytes: Array(bytes.prefix(4)))
        }
    }

    /// The image in `data`.
    public static func decode(_ data: Data, name: String) throws -> DecodedImage {
        try data.withUnsafeBytes { try decode($0, name: name) }
    }

    private static func decodePNG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> DecodedImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, colorType: Int32 = 0, bitDepth: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(TLAB_PNG_MESSAGE_LENGTH))
        let status = tlab_png_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, maxPixels,
                                     &pixels, &width, &height, &colorType, &bitDepth, &message)
        let detail = String(cString: message)
        switch Int(status) {
        case Int(TLAB_PNG_OK): return DecodedImage(width: Int(width), height: Int(height), taking: pixels!)
        case Int(TLAB_PNG_TRUNCATED): throw ImageError.truncated(file: name, format: .png, detail: detail)
        case Int(TLAB_PNG_TOO_LARGE): throw ImageError.tooLarge(file: name, detail: detail)
        default: throw ImageError.corrupt(file: name, format: .png, detail: detail)
        }
    }

    private static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> DecodedImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
        // The orientation tag sits in the first IFD, within the first few hundred bytes of the block.
        var exif = [UInt8](repeating: 0, count: 4096)
        var exifSize = 0
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        let status = tlab_jpeg_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count), maxPixels,
                                      &pixels, &width, &height, &components, &exif, exif.count, &exifSize, &message)
        let detail = String(cString: message)
        switch Int(status) {
        case Int(TLAB_JPEG_OK): break
        case Int(TLAB_JPEG_TRUNCATED): throw ImageError.truncated(file: name, format: .jpeg, detail: detail)
        case Int(TLAB_JPEG_TOO_LARGE): throw ImageError.tooLarge(file: name, detail: detail)
        default: throw ImageError.corrupt(file: name, format: .jpeg, detail: detail)
        }
        let image = DecodedImage(width: Int(width), height: Int(height), taking: pixels!)
        let orientation = exif.withUnsafeBytes { ExifOrientation(tiff: UnsafeRawBufferPointer(rebasing: $0[..<exifSize])) }
        return orientation.apply(to: image)
    }
}
