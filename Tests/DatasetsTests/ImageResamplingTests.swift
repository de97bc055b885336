// Resizing to the declared size: antialiased downscaling (a triangle filter widened by the reduction
// factor, Pillow's BILINEAR), bilinear upscaling, centre crop or stretch, all on known patterns.
@testable import Datasets
import Foundation
import XCTest

final class ImageResamplingTests: XCTestCase {
    private func resize(_ image: DecodedImage, to side: Int, _ mode: ResizeMode) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 3 * side * side)
        out.withUnsafeMutableBufferPointer { ImageResampler.resize(image, to: side, mode: mode, into: $0.baseAddress!) }
        return out
    }

    private func image(_ width: Int, _ height: Int, _ value: (Int, Int, Int) -> UInt8) -> DecodedImage {
        let image = DecodedImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { for c in 0..<3 { image[x, y, c] = value(x, y, c) } } }
        return image
    }

    func testAConstantImageStaysConstantAtEverySize() {
        let flat = image(37, 23) { _, _, c in UInt8(40 + 90 * c) }
        for side in [1, 5, 16, 23, 64] {
            for mode in ResizeMode.allCases {
                let out = resize(flat, to: side, mode)
                for c in 0..<3 {
                    XCTAssertEqual(Set(out[c * side * side ..< (c + 1) * side * side]), [UInt8(40 + 90 * c)], "\(side) \(mode)")
                }
            }
        }
    }

    func testDownscalingAveragesFineStripesInsteadOfAliasingThem() {
        // One-pixel black and white columns, reduced 4×: every output column covers both kinds
        // equally and comes out mid-grey. Point sampling (or bilinear without antialiasing, which
        // reads 2 of the 4 columns) would give pure black or white.
        let stripes = image(64, 64) { x, _, _ in x % 2 == 0 ? 0 : 255 }
        let out = resize(stripes, to: 16, .stretch)
        for y in 0..<16 {
            for x in 1..<15 { XCTAssertEqual(Double(out[y * 16 + x]), 127.5, accuracy: 1, "interior \(x),\(y)") }
            // At the border the filter is cut off (its weights renormalised), so it leans one way.
            XCTAssertEqual(Double(out[y * 16]), 118, accuracy: 1.5)
        }
    }

    func testDownscalingMatchesAFloatingPointReferenceOfTheFilter() {
        // The triangle filter of support 1 × scale, computed directly in Double, separably: the
        // fixed-point, two-pass implementation stays within one level of it.
        let source = image(29, 17) { x, y, c in UInt8((x * 7 + y * 13 + c * 50 + x * y) % 256) }
        let (outW, outH) = (9, 6)
        var out = [UInt8](repeating: 0, count: 3 * outW * outH)
        out.withUnsafeMutableBufferPointer {
            ImageResampler.resize(source, width: outW, height: outH, box: (0, 0, 29, 17), into: $0.baseAddress!)
        }
        func weights(_ input: Int, _ output: Int) -> [[Double]] {
            let scale = Double(input) / Double(output), support = max(scale, 1)
            return (0..<output).map { o in
                let center = (Double(o) + 0.5) * scale
                var w = (0..<input).map { i in max(0, 1 - abs(Double(i) + 0.5 - center) / support) }
                let sum = w.reduce(0, +)
                w = w.map { $0 / sum }
                return w
            }
        }
        let wx = weights(29, outW), wy = weights(17, outH)
        for c in 0..<3 {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var sum = 0.0
                    for y in 0..<17 { for x in 0..<29 { sum += wy[oy][y] * wx[ox][x] * Double(source[x, y, c]) } }
                    XCTAssertEqual(Double(out[(c * outH + oy) * outW + ox]), sum, accuracy: 1.01, "\(c) \(ox),\(oy)")
                }
            }
        }
    }

    func testCropKeepsTheCentreAndStretchKeepsEverything() {
        // 40×20: red quarters at either end, green in the middle half.
        let wide = image(40, 20) { x, _, c in (x < 10 || x >= 30) ? (c == 0 ? 255 : 0) : (c == 1 ? 255 : 0) }
        let cropped = resize(wide, to: 10, .crop)
        for y in 0..<10 {
            // Inside the centre box nothing red is left; the filter of the box's edge columns reaches
            // half a source pixel past it (as Pillow's resize with a box does): an eighth of red.
            XCTAssertEqual(Set(cropped[y * 10 + 1 ..< y * 10 + 9]), [0], "row \(y)")
            XCTAssertEqual(Set(cropped[100 + y * 10 + 1 ..< 100 + y * 10 + 9]), [255])
            XCTAssertEqual(cropped[y * 10], 32)
        }
        let stretched = resize(wide, to: 10, .stretch)
        XCTAssertEqual(stretched[0], 255, "the red left end is still there")
        XCTAssertEqual(stretched[9], 255)
        XCTAssertEqual(stretched[100 + 5], 255, "green in the middle")
    }

    func testUpscalingInterpolatesBetweenPixels() {
        let two = image(2, 2) { x, _, _ in x == 0 ? 0 : 200 }
        let out = resize(two, to: 4, .stretch)
        let row = Array(out[0..<4])
        XCTAssertEqual(row.first, 0)
        XCTAssertEqual(row.last, 200)
        XCTAssertEqual(row, row.sorted(), "monotonic between the two pixels")
        XCTAssertEqual(Int(row[1]) + Int(row[2]), 200, "symmetric")
        XCTAssertTrue(row[1] > 0 && row[1] < 100)
    }

    func testPlanesOfStoredDataSetsResizeLikeRGBImages() {
        let rgb = image(30, 18) { x, y, c in UInt8((x * 9 + y * 5 + c * 70) % 256) }
        let expected = resize(rgb, to: 12, .crop)
        for c in 0..<3 {
            let plane = (0 ..< 30 * 18).map { rgb.pixels[3 * $0 + c] }
            var out = [UInt8](repeating: 0, count: 144)
            plane.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer {
                    ImageResampler.resizePlane(p.baseAddress!, width: 30, height: 18, to: 12, mode: .crop, into: $0.baseAddress!)
                }
            }
            XCTAssertEqual(out, Array(expected[c * 144 ..< (c + 1) * 144]))
        }
    }
}
