import Foundation
import XCTest

/// Runs the built `tlab` binary, as a user would.
final class TlabBinaryTests: XCTestCase {
    func testVersion() throws {
        let bin = productsDirectory.appendingPathComponent("tlab")
        let p = Process()
        p.executableURL = bin
        p.arguments = ["--version"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("tlab "), text)
    }

    /// The folder `swift build` put the products in: the test bundle lives beside `tlab`.
    var productsDirectory: URL {
        let bundle = Bundle(for: Self.self).bundleURL
        return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    }
}
