// PNG and JPEG through libpng and libjpeg-turbo: every PNG layout decodes to the RGB it was written
// from, JPEG within its loss, the eight EXIF orientations turn a stored image upright, and damaged
// files are errors that name the file and the fault — never a crash or a grey image.
import CZlib
@testable import Datasets
import Foundation
import XCTest

final class ImageDecodingTests: XCTestCase {
    /// A 13x7 image of distinct colours (odd sizes catch row-stride mistakes).
    private func pattern(width: Int = 13, height: Int = 7) -> DecodedImage {
        let image = DecodedImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y, 0] = UInt8(x * 19 % 256)
                image[x, y, 1] = UInt8(y * 37 % 256)
                image[x, y, 2] = UInt8((x * y * 11 + 5) % 256)
            }
        }
        return image
    }

    private func pixels(_ image: DecodedImage) -> [UInt8] { Array(UnsafeBufferPointer(start: image.pixels, count: image.width * image.height * 3)) }

    private func luma(_ image: DecodedImage) -> [UInt8] {
        (0 ..< image.width * image.height).flatMap { i -> [UInt8] in
            let r = Int(image.pixels[3 * i]), g = Int(image.pixels[3 * i + 1]), b = Int(image.pixels[3 * i + 2])
            let l = UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
            return [l, l, l]
        }
    }

    func testEveryPNGLayoutDecodesToItsRGB() throws {
        let image = pattern()
        for layout in ImageEncoder.PNGLayout.allCases {
            for interlaced in [false, true] {
                let decoded = try ImageDecoder.decode(try ImageEncoder.png(image, layout: layout, interlaced: interlaced), name: "x.png")
                XCTAssertEqual([decoded.width, decoded.height], [13, 7])
                let expected = [.gray8, .gray16, .grayAlpha8].contains(layout) ? luma(image) : pixels(image)
                XCTAssertEqual(pixels(decoded), expected, "\(layout) interlaced \(interlaced): alpha dropped, 16 bits scaled back exactly")
            }
        }
    }

    func testPaletteWithTransparencyDropsTheTransparency() throws {
        // A palette PNG with a tRNS chunk: libpng would expand it to alpha; it must come out RGB.
        var png = try ImageEncoder.png(pattern(width: 4, height: 2), layout: .palette)
        let plte = try XCTUnwrap(png.range(of: Data("PLTE".utf8)))
        let insertAt = plte.upperBound + 8 * 3 + 4  // 8 colours, then the PLTE CRC
        var chunk = Data([0, 0, 0, 2]) + Data("tRNS".utf8) + Data([0, 128])
        let crc = chunk.dropFirst(4).withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
        chunk += withUnsafeBytes(of: crc.bigEndian) { Data($0) }
        png.insert(contentsOf: chunk, at: insertAt)
        let decoded = try ImageDecoder.decode(png, name: "trns.png")
        XCTAssertEqual(pixels(decoded), pixels(pattern(width: 4, height: 2)))
    }

    func testJPEGDecodesWithinItsLossAndGrayscaleRepeatsTheChannel() throws {
        let image = SampleImageFolder.upright(of: 2, width: 40, height: 30, random: .init(seed: 1))
        let decoded = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 100), name: "x.jpg")
        let error = zip(pixels(decoded), pixels(image)).map { abs(Int($0) - Int($1)) }
        // Quality 100 still halves the chroma resolution (4:2:0), which this noisy image feels.
        XCTAssertLessThan(Double(error.reduce(0, +)) / Double(error.count), 6.0)
        let gray = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 95, layout: .grayscale), name: "g.jpg")
        for i in 0 ..< gray.width * gray.height {
            XCTAssertEqual(gray.pixels[3 * i], gray.pixels[3 * i + 1])
            XCTAssertEqual(gray.pixels[3 * i], gray.pixels[3 * i + 2])
        }
    }

    func testProgressiveAndAdobeCMYKJPEGsDecodeToTheirRGB() throws {
        let image = SampleImageFolder.upright(of: 3, width: 40, height: 30, random: .init(seed: 2))
        let baseline = pixels(try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 95), name: "b.jpg"))
        let progressive = try ImageEncoder.jpeg(image, quality: 95, progressive: true)
        XCTAssertTrue(progressive.range(of: Data([0xFF, 0xC2])) != nil, "an SOF2 (progressive) frame")
        XCTAssertEqual(pixels(try ImageDecoder.decode(progressive, name: "p.jpg")), baseline, "the same coefficients")
        let cmyk = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 100, layout: .cmyk), name: "cmyk.jpg")
        let error = zip(pixels(cmyk), pixels(image)).map { abs(Int($0) - Int($1)) }
        // CMYK JPEGs keep full-resolution channels (no 4:2:0), so they come back closer than RGB ones.
        XCTAssertLessThan(Double(error.reduce(0, +)) / Double(error.count), 2.0)
    }

    func testTheEightOrientationsTurnTheStoredImageUpright() throws {
        // Exactly, on raw pixels: each orientation and its inverse give back the image.
        let image = pattern(width: 5, height: 3)
        for value in 1...8 {
            let o = ExifOrientation(value)
            let inverse = ExifOrientation(value == 6 ? 8 : value == 8 ? 6 : value)
            let turned = o.apply(to: image)
            XCTAssertEqual([turned.width, turned.height], o.transposes ? [3, 5] : [5, 3])
            XCTAssertEqual(pixels(inverse.apply(to: turned)), pixels(image), "orientation \(value)")
        }
        // 6 means: turn 90° clockwise to view. The stored top-left pixel ends up top-right.
        let six = ExifOrientation(6).apply(to: image)
        XCTAssertEqual([six[2, 0, 0], six[2, 0, 1], six[2, 0, 2]], [image[0, 0, 0], image[0, 0, 1], image[0, 0, 2]])
        // Through JPEG files with an EXIF block: big quadrants of colour survive compression.
        let upright = DecodedImage(width: 32, height: 16)
        for y in 0..<16 { for x in 0..<32 { upright[x, y, x < 16 ? 0 : 2] = y < 8 ? 250 : 120 } }
        for value in 1...8 {
            let file = try SampleImageFolder.encode(upright, as: .rotatedJPEG, orientation: ExifOrientation(value))
            let decoded = try ImageDecoder.decode(file, name: "o\(value).jpg")
            XCTAssertEqual([decoded.width, decoded.height], [32, 16], "orientation \(value)")
            for (x, y) in [(3, 3), (28, 3), (3, 12), (28, 12)] {
                for c in 0..<3 {
                    XCTAssertEqual(Double(decoded[x, y, c]), Double(upright[x, y, c]), accuracy: 12, "orientation \(value) at \(x),\(y)")
                }
            }
        }
    }

    func testOrientationIsReadFromBothByteOrders() {
        let little = ExifOrientation(8).tiffBlock
        XCTAssertEqual(little.withUnsafeBytes { ExifOrientation(tiff: $0) }, ExifOrientation(8))
        let big: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(big.withUnsafeBytes { ExifOrientation(tiff: $0) }, ExifOrientation(6))
        let garbage: [UInt8] = [0x49, 0x49, 42, 0, 0xFF, 0xFF, 0, 0]
        XCTAssertEqual(garbage.withUnsafeBytes { ExifOrientation(tiff: $0) }, .upright, "a bad EXIF block is not a bad image")
    }

    func testDamagedFilesAreErrorsNamingTheFileAndTheFault() throws {
        let jpeg = try ImageEncoder.jpeg(pattern(width: 64, height: 48))
        let png = try ImageEncoder.png(pattern(width: 64, height: 48))
        func fault(_ data: Data, _ name: String) -> ImageError? {
            XCTAssertThrowsError(try ImageDecoder.decode(data, name: name))
            do { _ = try ImageDecoder.decode(data, name: name) } catch { return error as? ImageError }
            return nil
        }
        guard case .truncated("cut.jpg", .jpeg, _)? = fault(jpeg.prefix(jpeg.count * 2 / 3), "cut.jpg") else { return XCTFail("truncated JPEG") }
        guard case .truncated("cut.png", .png, _)? = fault(png.prefix(png.count / 2), "cut.png") else { return XCTFail("truncated PNG") }
        var scrambled = jpeg
        for i in 200 ..< 260 { scrambled[i] = 0xFF }
        guard case .corrupt("bad.jpg", .jpeg, _)? = fault(scrambled, "bad.jpg") else { return XCTFail("corrupt JPEG") }
        var badCRC = png
        badCRC[30] ^= 0x55  // inside IHDR: its CRC no longer matches
        guard case .corrupt("crc.png", .png, let detail)? = fault(badCRC, "crc.png") else { return XCTFail("bad CRC") }
        XCTAssertTrue(detail.lowercased().contains("crc"), detail)
        XCTAssertEqual(fault(Data("hello".utf8), "notes.png"), .notAnImage(file: "notes.png", leadingBytes: Array("hell".utf8)))
        XCTAssertEqual(fault(Data(), "empty.jpg")?.description, "empty.jpg: not a PNG or JPEG file (it starts with nothing: it is empty)")
    }

    /// libjpeg skips a stray byte between markers and would decode the image at whatever size it finds
    /// later; the header reader stops there, so the image is refused rather than decoded unbounded.
    func testAJPEGWithAStrayByteBetweenItsHeaderMarkersIsRefusedBeforeDecoding() throws {
        var jpeg = try ImageEncoder.jpeg(pattern(width: 64, height: 48))
        XCTAssertNoThrow(try ImageDecoder.withDecoded(jpeg, name: "clean.jpg") { _ in })
        // After SOI (2 bytes) comes the first segment: marker (2) and its length (2, counting itself).
        let firstSegmentEnd = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5]))
        XCTAssertEqual(jpeg[firstSegmentEnd], 0xFF, "a marker follows the first segment")
        jpeg.insert(0x00, at: firstSegmentEnd)
        XCTAssertThrowsError(try ImageDecoder.withDecoded(jpeg, name: "stray.jpg") { _ in }) { error in
            XCTAssertEqual(error as? ImageError, .corrupt(file: "stray.jpg", format: .jpeg,
                                                          detail: "its image size cannot be read from its header before decoding"))
        }
    }

    func testAnImageBeyondThePixelLimitIsRefusedBeforeDecoding() throws {
        var png = try ImageEncoder.png(pattern(width: 2, height: 2))
        // IHDR's width and height (bytes 16..<24) set to 20000 × 20000, with its CRC fixed.
        let size: [UInt8] = [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]
        png.replaceSubrange(16 ..< 24, with: size)
        let crc = png[12 ..< 29].withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
        png.replaceSubrange(29 ..< 33, with: withUnsafeBytes(of: crc.bigEndian) { Data($0) })
        XCTAssertThrowsError(try ImageDecoder.decode(png, name: "huge.png")) { error in
            guard case .tooLarge("huge.png", _)? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }
}
