// The EXIF Orientation tag (0x0112) of a JPEG's APP1 block, and the eight ways it says a stored image
// turns upright.
import Foundation

/// How the stored pixels map to the upright image, as EXIF numbers it: 1 upright, 2 mirrored
/// left-right, 3 turned 180°, 4 mirrored top-bottom, 5 transposed (mirrored about the main diagonal),
/// 6 to be turned 90° clockwise, 7 transversed (mirrored about the other diagonal), 8 to be turned
/// 90° counter-clockwise. Pillow's `ImageOps.exif_transpose` applies the same eight.
public struct ExifOrientation: Equatable, Sendable {
    public let value: Int

    public init(_ value: Int) {
        self.value = (1...8).contains(value) ? value : 1
    }

    public static let upright = ExifOrientation(1)

    /// The orientation in a TIFF block (the APP1 payload after "Exif\0\0"); upright when the block is
    /// absent, malformed or has no valid tag: a bad EXIF block is not a bad image.
    public init(tiff: UnsafeRawBufferPointer) {
        self.init(Self.tag(in: tiff) ?? 1)
    }

    private static func tag(in tiff: UnsafeRawBufferPointer) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true   // "II", Intel
        case (0x4D, 0x4D): little = false  // "MM", Motorola
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for i in 0..<entries {
            let entry = ifd + 2 + 12 * i
            guard let tag = u16(entry) else { return nil }
            // Type 3 is SHORT; a count-1 SHORT sits in the first two bytes of the value field.
            if tag == 0x0112, u16(entry + 2) == 3, u32(entry + 4) == 1 { return u16(entry + 8) }
        }
        return nil
    }

    /// Whether width and height trade places.
    public var transposes: Bool { value >= 5 }

    /// The stored pixel (x, y) that lands at upright position (`x`, `y`) of a stored `width`×`height` image.
    @inline(__always)
    package func source(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch value {
        case 2: return (width - 1 - x, y)
        case 3: return (width - 1 - x, height - 1 - y)
        case 4: return (x, height - 1 - y)
        case 5: return (y, x)
        case 6: return (y, height - 1 - x)
        case 7: return (width - 1 - y, height - 1 - x)
        case 8: return (width - 1 - y, x)
        default: return (x, y)
        }
    }

    /// `image` turned upright (the same object when already upright).
    public func apply(to image: DecodedImage) -> DecodedImage {
        guard value != 1 else { return image }
        let (w, h) = transposes ? (image.height, image.width) : (image.width, image.height)
        let out = DecodedImage(width: w, height: h)
        let from = image.pixels, to = out.pixels
        for y in 0..<h {
            for x in 0..<w {
                let s = source(x: x, y: y, width: image.width, height: image.height)
                let i = (s.y * image.width + s.x) * 3, o = (y * w + x) * 3
                to[o] = from[i]
                to[o + 1] = from[i + 1]
                to[o + 2] = from[i + 2]
            }
        }
        return out
    }

    /// The TIFF block of an EXIF APP1 payload holding only this orientation (little-endian), for
    /// writing test fixtures and sample folders.
    public var tiffBlock: [UInt8] {
        [0x49, 0x49, 42, 0, 8, 0, 0, 0,         // header, first IFD at offset 8
         1, 0,                                    // one entry
         0x12, 0x01, 3, 0, 1, 0, 0, 0, UInt8(value), 0, 0, 0,  // Orientation, SHORT, count 1
         0, 0, 0, 0]                              // no next IFD
    }
}
