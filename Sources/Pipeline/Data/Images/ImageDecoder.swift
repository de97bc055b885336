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
