// An image's size read from its header before anything is decoded, so that limits on its sides and
// on the memory its decoding takes are enforced before a byte of pixels is allocated.
import Foundation

/// The size and layout an image file declares.
struct ImageHeader: Equatable {
    let width: Int
    let height: Int
    /// Colour components the decoder works with (1 grey, 3 YCbCr/RGB, 4 CMYK).
    let components: Int
    /// A progressive JPEG: libjpeg holds every DCT coefficient of the image until the last scan.
    let progressive: Bool

    /// The header of the PNG or JPEG in `bytes`, or nil when none can be found (the decoder then
    /// reports what is wrong with the file).
    static func read(_ bytes: UnsafeRawBufferPointer) -> ImageHeader? {
        switch ImageFormat.sniff(bytes) {
        case .png?:
            // The signature, then IHDR: length, "IHDR", width and height (big-endian).
            guard bytes.count >= 24 else { return nil }
            return ImageHeader(width: Int(bigEndian32(bytes, 16)), height: Int(bigEndian32(bytes, 20)), components: 4,
                               progressive: false)
        case .jpeg?:
            return jpegFrame(bytes)
        case nil:
            return nil
        }
    }

    /// Bytes the decoder and resampler need at most for this image: the RGB output, a row pointer
    /// per row, libjpeg's coefficient buffer of a progressive JPEG (2 bytes per coefficient per
    /// component), and a row's working samples and floats.
    var workingBytes: Int64 {
        let pixels = Int64(width) * Int64(height)
        return pixels * 3 + Int64(height) * 8 + (progressive ? pixels * 2 * Int64(components) : 0) + Int64(width) * 64
    }

    /// The first start-of-frame marker's size: markers are walked by their lengths up to it.
    private static func jpegFrame(_ bytes: UnsafeRawBufferPointer) -> ImageHeader? {
        var at = 2
        while at + 4 <= bytes.count {
            guard bytes[at] == 0xFF else { return nil }
            let marker = bytes[at + 1]
            if marker == 0xFF { at += 1; continue }  // fill byte
            let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard at + 10 <= bytes.count else { return nil }
                let height = Int(bytes[at + 5]) << 8 | Int(bytes[at + 6])
                let width = Int(bytes[at + 7]) << 8 | Int(bytes[at + 8])
                let progressive = [0xC2, 0xC6, 0xCA, 0xCE].contains(marker)
                return ImageHeader(width: width, height: height, components: Int(bytes[at + 9]), progressive: progressive)
            }
            at += 2 + length
        }
        return nil
    }

    private static func bigEndian32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[at + $1]) }
    }
}

/// Memory shared by the images decoded at once: each decode takes its image's working bytes before
/// it starts and gives them back when its pixels are no longer needed, so that parallel decodes of
/// large images wait for each other instead of adding up.
final class ImageMemoryBudget: @unchecked Sendable {
    /// What all decodes of the process together may hold: 2 GiB.
    static let shared = ImageMemoryBudget(totalBytes: 2 << 30)

    let totalBytes: Int64
    private var available: Int64
    private var waiters = 0
    private let condition = NSCondition()

    /// How many decodes are waiting for memory now.
    var waiting: Int { condition.withLock { waiters } }

    init(totalBytes: Int64) {
        self.totalBytes = totalBytes
        available = totalBytes
    }

    /// Runs `body` holding `bytes` of the budget (at most the whole of it), waiting until they are free.
    func holding<T>(_ bytes: Int64, _ body: () throws -> T) rethrows -> T {
        let share = min(max(bytes, 0), totalBytes)
        condition.lock()
        while available < share {
            waiters += 1
            condition.wait()
            waiters -= 1
        }
        available -= share
        condition.unlock()
        defer {
            condition.lock()
            available += share
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
