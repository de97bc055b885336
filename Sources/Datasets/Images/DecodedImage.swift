// A decoded image as the decoders hand it over: 8-bit RGB, interleaved, row after row, in memory the
// C decoder allocated (no copy), freed with the image.
import Foundation

/// `height` rows of `width` RGB pixels, 3 bytes each, top row first.
public final class DecodedImage {
    public let width: Int
    public let height: Int
    /// `width × height × 3` bytes; owned by the image.
    public let pixels: UnsafeMutablePointer<UInt8>

    /// Takes ownership of `pixels`, a `malloc`'d buffer of `width × height × 3` bytes.
    package init(width: Int, height: Int, taking pixels: UnsafeMutablePointer<UInt8>) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image of the given size.
    public convenience init(width: Int, height: Int) {
        let buffer = malloc(max(width * height * 3, 1))!.bindMemory(to: UInt8.self, capacity: max(width * height * 3, 1))
        buffer.initialize(repeating: 0, count: width * height * 3)
        self.init(width: width, height: height, taking: buffer)
    }

    deinit { free(pixels) }

    /// The value of channel `c` (0 red, 1 green, 2 blue) at (`x`, `y`): for tests and small images.
    public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * 3 + c] }
        set { pixels[(y * width + x) * 3 + c] = newValue }
    }
}
