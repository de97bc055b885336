// PNG and JPEG encoding through libpng and libjpeg-turbo, in every layout the decoder reads: what test
// fixtures, `tlab sample-images` and `tlab bench images` write.
import CJPEG
import CPNG
import Foundation

/// Writes images as PNG or JPEG files.
public enum ImageEncoder {
    /// How a PNG stores an RGB image.
    public enum PNGLayout: String, CaseIterable, Sendable {
        /// 8-bit luma (ITU-R 601: 0.299 R + 0.587 G + 0.114 B, as Pillow's "L").
        case gray8
        /// 16-bit luma (the 8-bit value × 257).
        case gray16
        /// 8-bit luma and alpha.
        case grayAlpha8
        case rgb8
        /// 16-bit RGB (each 8-bit value × 257).
        case rgb16
        /// 8-bit RGB with an alpha channel that varies across the image.
        case rgba8
        /// Up to 256 colours through a palette (fails on images with more distinct colours).
        case palette
    }

    public enum EncodingError: Error, CustomStringConvertible {
        case library(String)
        case tooManyColours(Int)

        public var description: String {
            switch self {
            case .library(let message): return "cannot encode the image: \(message)"
            case .tooManyColours(let n): return "a palette PNG holds at most 256 colours; the image has \(n)"
            }
        }
    }

    /// The image as a PNG in `layout`; `interlaced` writes Adam7.
    public static func png(_ image: DecodedImage, layout: PNGLayout = .rgb8, interlaced: Bool = false) throws -> Data {
        let (w, h) = (image.width, image.height)
        // Each pixel's samples as the PNG stores them (16-bit ones big-endian: v × 257 is [v, v]).
        let colorType: Int32, depth: Int32, channels: Int, pixel: (Int, Int) -> [UInt8]
        let ramp = { (x: Int, y: Int) in UInt8(truncatingIfNeeded: (x + y) * 255 / max(w + h - 2, 1)) }
        var palette: [UInt8] = [], index: [UInt32: UInt8] = [:]
        switch layout {
        case .gray8: (colorType, depth, channels, pixel) = (PNG_COLOR_TYPE_GRAY, 8, 1, { [luma(image, $0, $1)] })
        case .gray16: (colorType, depth, channels, pixel) = (PNG_COLOR_TYPE_GRAY, 16, 1, { [luma(image, $0, $1), luma(image, $0, $1)] })
        case .grayAlpha8: (colorType, depth, channels, pixel) = (PNG_COLOR_TYPE_GRAY_ALPHA, 8, 2, { [luma(image, $0, $1), ramp($0, $1)] })
        case .rgb8: (colorType, depth, channels, pixel) = (PNG_COLOR_TYPE_RGB, 8, 3, { x, y in (0..<3).map { image[x, y, $0] } })
        case .rgb16: (colorType, depth, channels, pixel) = (PNG_COLOR_TYPE_RGB, 16, 3, { x, y in (0..<3).flatMap { [image[x, y, $0], image[x, y, $0]] } })
        case .rgba8: (colorType, depth, channels, pixel) = (PNG_COLOR_TYPE_RGB_ALPHA, 8, 4, { x, y in (0..<3).map { image[x, y, $0] } + [ramp(x, y)] })
        case .palette:
            (colorType, depth, channels) = (PNG_COLOR_TYPE_PALETTE, 8, 1)
            pixel = { x, y in
                let key = UInt32(image[x, y, 0]) << 16 | UInt32(image[x, y, 1]) << 8 | UInt32(image[x, y, 2])
                if let i = index[key] { return [i] }
                let i = UInt8(truncatingIfNeeded: index.count)
                index[key] = i
                palette += [image[x, y, 0], image[x, y, 1], image[x, y, 2]]
                return [i]
            }
        }
        var samples: [UInt8] = []
        samples.reserveCapacity(w * h * channels * Int(depth) / 8)
        for y in 0..<h { for x in 0..<w { samples += pixel(x, y) } }
        guard index.count <= 256 else { throw EncodingError.tooManyColours(index.count) }
        let rowBytes = w * channels * Int(depth) / 8
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(TLAB_PNG_MESSAGE_LENGTH))
        let status = tlab_png_encode(samples, rowBytes, Int32(w), Int32(h), colorType, depth, palette,
                                     Int32(palette.count / 3), interlaced ? 1 : 0, &output, &size, &message)
        guard status == TLAB_PNG_OK, let output else { throw EncodingError.library(String(cString: message)) }
        defer { free(output) }
        return Data(bytes: output, count: size)
    }

    /// How a JPEG stores an RGB image.
    public enum JPEGLayout: Sendable {
        case rgb
        /// Luma only (ITU-R 601).
        case grayscale
        /// Four channels, as Adobe writes CMYK (inverted: 255 is no ink), holding R, G, B and 255.
        case cmyk
    }

    /// The image as a JPEG of `quality` (1…100), baseline or `progressive`, with an EXIF block holding
    /// `orientation` unless it is nil.
    public static func jpeg(_ image: DecodedImage, quality: Int = 90, layout: JPEGLayout = .rgb, progressive: Bool = false,
                            orientation: ExifOrientation? = nil) throws -> Data {
        var samples: [UInt8] = []
        let components: Int32
        switch layout {
        case .rgb:
            components = 3
            samples = Array(UnsafeBufferPointer(start: image.pixels, count: image.width * image.height * 3))
        case .grayscale:
            components = 1
            for y in 0..<image.height { for x in 0..<image.width { samples.append(luma(image, x, y)) } }
        case .cmyk:
            components = 4
            for i in 0 ..< image.width * image.height { samples += [image.pixels[3 * i], image.pixels[3 * i + 1], image.pixels[3 * i + 2], 255] }
        }
        let exif = orientation?.tiffBlock ?? []
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        let status = tlab_jpeg_encode(samples, Int32(image.width), Int32(image.height), components, Int32(quality),
                                      progressive ? 1 : 0, exif, exif.count, &output, &size, &message)
        guard status == TLAB_JPEG_OK, let output else {
            if let output { free(output) }
            throw EncodingError.library(String(cString: message))
        }
        defer { free(output) }
        return Data(bytes: output, count: Int(size))
    }

    /// ITU-R 601 luma, as Pillow's "L": 0.299 R + 0.587 G + 0.114 B, rounded.
    static func luma(_ image: DecodedImage, _ x: Int, _ y: Int) -> UInt8 {
        let r = Int(image[x, y, 0]), g = Int(image[x, y, 1]), b = Int(image[x, y, 2])
        return UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
    }
}
