// A generated image folder with every kind of file an image folder meets: RGB, grayscale, RGBA,
// palette and 16-bit PNGs, baseline and grayscale JPEGs, JPEGs stored rotated with an EXIF
// orientation, mixed sizes, and on request a corrupt JPEG, a truncated PNG and a file that is not
// an image. `tlab sample-images` writes one for the shipped pipeline; the tests write them as fixtures.
import Engine
import Foundation

public enum SampleImageFolder {
    /// The kinds of files written, in turn.
    public enum Kind: String, CaseIterable, Sendable {
        case rgbJPEG, rgbPNG, grayPNG, rgbaPNG, palettePNG, rgb16PNG, rotatedJPEG, grayJPEG, gray16PNG, grayAlphaPNG

        var fileExtension: String { rawValue.hasSuffix("JPEG") ? "jpg" : "png" }
    }

    /// What was written.
    public struct Summary: Equatable, Sendable {
        public var images: Int
        public var badFiles: [String]
        public var otherFiles: [String]
    }

    /// Writes `perClass` images of each of the first `classes` synthetic classes (square, frame, disc, …)
    /// into `folder/<class>/`, each `minSide`...`maxSide` pixels a side (aspect ratios from 3:4 to
    /// 4:3), cycling through every `Kind`. With `badFiles`, the first class also gets `corrupt.jpg`
    /// (a JPEG header, then garbage), `truncated.png` (half a PNG) and `notes.txt`. Deterministic in `seed`.
    @discardableResult
    public static func write(to folder: String, classes: Int = 5, perClass: Int = 60, minSide: Int = 24, maxSide: Int = 64,
                             seed: UInt64 = 0, badFiles: Bool = false) throws -> Summary {
        precondition(classes >= 2 && classes <= SyntheticImages.classNames.count && perClass >= 1 && minSide >= 12 && maxSide >= minSide)
        let random = CounterRandom(seed: seed)
        var summary = Summary(images: 0, badFiles: [], otherFiles: [])
        for label in 0..<classes {
            let name = SyntheticImages.classNames[label].replacingOccurrences(of: " ", with: "-")
            let classFolder = (folder as NSString).appendingPathComponent(name)
            try FileManager.default.createDirectory(atPath: classFolder, withIntermediateDirectories: true)
            for i in 0..<perClass {
                let index = UInt64(label * perClass + i)
                let draws = random.stream(index)
                let width = minSide + Int(draws.bits(at: 0) % UInt64(maxSide - minSide + 1))
                let height = max(minSide, min(maxSide, width * (3 + Int(draws.bits(at: 1) % 3)) / 4))
                let image = upright(of: label, width: width, height: height, random: draws.stream(2))
                let kind = Kind.allCases[Int(index) % Kind.allCases.count]
                let data = try encode(image, as: kind, orientation: ExifOrientation([3, 6, 8, 2][Int(draws.bits(at: 3) % 4)]))
                let file = (classFolder as NSString).appendingPathComponent(String(format: "%04d-%@.%@", i, kind.rawValue, kind.fileExtension))
                try data.write(to: URL(fileURLWithPath: file))
                summary.images += 1
                if badFiles && label == 0 && i == 0 {
                    let corrupt = (classFolder as NSString).appendingPathComponent("corrupt.jpg")
                    try (Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data((0..<900).map { UInt8(truncatingIfNeeded: $0 &* 37) })).write(to: URL(fileURLWithPath: corrupt))
                    let png = try ImageEncoder.png(image)
                    let truncated = (classFolder as NSString).appendingPathComponent("truncated.png")
                    try png.prefix(png.count / 2).write(to: URL(fileURLWithPath: truncated))
                    let notes = (classFolder as NSString).appendingPathComponent("notes.txt")
                    try Data("Not an image: the download stage ignores and counts it.\n".utf8).write(to: URL(fileURLWithPath: notes))
                    summary.badFiles += ["\(name)/corrupt.jpg", "\(name)/truncated.png"]
                    summary.otherFiles.append("\(name)/notes.txt")
                }
            }
        }
        return summary
    }

    /// A synthetic image of class `label`, cut to `width`×`height` around its centre.
    static func upright(of label: Int, width: Int, height: Int, random: CounterRandom) -> DecodedImage {
        let side = max(width, height)
        let planar = SyntheticImages.image(of: label, side: side, random: random)
        let image = DecodedImage(width: width, height: height)
        let (x0, y0) = ((side - width) / 2, (side - height) / 2)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { image[x, y, c] = planar[(c * side + y + y0) * side + x + x0] }
            }
        }
        return image
    }

    /// The bytes of `image` as `kind`; a rotated JPEG stores the image turned so that `orientation`
    /// turns it upright again.
    package static func encode(_ image: DecodedImage, as kind: Kind, orientation: ExifOrientation) throws -> Data {
        switch kind {
        case .rgbJPEG: return try ImageEncoder.jpeg(image, quality: 92)
        case .grayJPEG: return try ImageEncoder.jpeg(image, quality: 92, layout: .grayscale)
        case .rotatedJPEG:
            // 6 and 8 undo each other; the others undo themselves.
            let inverse = ExifOrientation(orientation.value == 6 ? 8 : orientation.value == 8 ? 6 : orientation.value)
            return try ImageEncoder.jpeg(inverse.apply(to: image), quality: 92, orientation: orientation)
        case .rgbPNG: return try ImageEncoder.png(image)
        case .grayPNG: return try ImageEncoder.png(image, layout: .gray8, interlaced: true)
        case .gray16PNG: return try ImageEncoder.png(image, layout: .gray16)
        case .grayAlphaPNG: return try ImageEncoder.png(image, layout: .grayAlpha8)
        case .rgbaPNG: return try ImageEncoder.png(image, layout: .rgba8)
        case .rgb16PNG: return try ImageEncoder.png(image, layout: .rgb16)
        case .palettePNG:
            // Six levels a channel: at most 216 colours.
            let quantized = DecodedImage(width: image.width, height: image.height)
            for i in 0 ..< image.width * image.height * 3 { quantized.pixels[i] = UInt8((Int(image.pixels[i]) * 5 + 127) / 255 * 51) }
            return try ImageEncoder.png(quantized, layout: .palette)
        }
    }
}
