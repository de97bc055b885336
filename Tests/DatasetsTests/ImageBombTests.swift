// Images whose headers promise more than their bytes hold: refused from the header, before any
// pixel memory is allocated, and large images decoded in parallel share one memory budget.
import CZlib
@testable import Datasets
import Foundation
import XCTest

final class ImageBombTests: XCTestCase {
    /// A PNG whose IHDR declares `width` × `height` (RGB, 8 bits) with an empty image stream.
    private func pngDeclaring(width: UInt32, height: UInt32) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            let crc = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            return bigEndian(UInt32(body.count)) + typed + bigEndian(crc)
        }
        func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", [])
                    + chunk("IEND", []))
    }

    /// SOI and a progressive (SOF2) frame header declaring `side` × `side`, 3 components, and nothing else.
    private func progressiveJPEGDeclaring(side: UInt16) -> Data {
        let high = UInt8(side >> 8), low = UInt8(side & 0xFF)
        return Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                     0xFF, 0xC2, 0x00, 0x11, 0x08, high, low, high, low, 0x03,
                     0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9])
    }

    private func refusal(_ bytes: Data, _ name: String) -> String {
        do {
            try ImageDecoder.withDecoded(bytes, name: name) { _ in }
            return "decoded"
        } catch {
            return "\(error)"
        }
    }

    func testAStripWithinThePixelLimitButBeyondTheSideLimitIsRefused() {
        XCTAssertEqual(refusal(pngDeclaring(width: 178_956_970, height: 1), "strip.png"),
                       "strip.png: too large to decode (178956970x1 pixels; each side may be at most 32768)")
    }

    func testAProgressiveJPEGWhoseCoefficientsWouldTakeGigabytesIsRefused() {
        XCTAssertEqual(refusal(progressiveJPEGDeclaring(side: 13_000), "big.jpg"),
                       "big.jpg: too large to decode (13000x13000 pixels (progressive) would take 1451 MiB to decode; at most 1024 MiB)")
    }

    func testAnImageWithinTheLimitsStillDecodes() throws {
        let image = DecodedImage(width: 5, height: 3)
        let png = try ImageEncoder.png(image)
        XCTAssertEqual(try ImageDecoder.withDecoded(png, name: "small.png") { [$0.width, $0.height] }, [5, 3])
        XCTAssertEqual(ImageHeader.read(png.withUnsafeBytes { UnsafeRawBufferPointer($0) }.self),
                       ImageHeader(width: 5, height: 3, components: 4, progressive: false))
    }

    func testParallelDecodesWaitForTheSharedBudget() {
        let budget = ImageMemoryBudget(totalBytes: 100)
        let firstHolds = DispatchSemaphore(value: 0), releaseFirst = DispatchSemaphore(value: 0)
        let events = OrderedLines()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            budget.holding(60) {
                events.append("first holds")
                firstHolds.signal()
                _ = releaseFirst.wait(timeout: .now() + 2)
                events.append("first releases")
            }
        }
        firstHolds.wait()
        DispatchQueue.global().async(group: group) {
            budget.holding(60) { events.append("second holds") }
        }
        // Once the second waits for the budget, it has not started; bounded at 5 s.
        let deadline = Date().addingTimeInterval(5)
        while budget.waiting == 0 && Date() < deadline { usleep(1000) }
        events.append("second waits")
        releaseFirst.signal()
        XCTAssertEqual(group.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(events.all, ["first holds", "second waits", "first releases", "second holds"])
    }
}

/// Lines appended from several threads, in the order they happened.
private final class OrderedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
