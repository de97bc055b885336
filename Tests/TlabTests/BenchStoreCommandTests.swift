import Foundation
import XCTest

/// `tlab bench store`, run as a user would (tiny sizes: the real measurement wants a release build).
final class BenchStoreCommandTests: XCTestCase {
    func testPrintsPutAndReadThroughput() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (status, text) = try runTlab(["bench", "store", "--size-mib", "2", "--runs", "2", "--dir", scratch.path])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("2 MiB float32 tensor, zstd level 3, 2 runs"), text)
        XCTAssertNotNil(text.range(of: #"put: +median \d+ MB/s"#, options: .regularExpression), text)
        XCTAssertNotNil(text.range(of: #"get\+verify: +median \d+ MB/s"#, options: .regularExpression), text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [], "the scratch store is removed")
    }

    func testRejectsAZeroRunCount() throws {
        let (status, text) = try runTlab(["bench", "store", "--runs", "0"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(text.contains("--runs must be positive"), text)
    }

    private func runTlab(_ arguments: [String]) throws -> (Int32, String) {
        let bundle = Bundle(for: Self.self).bundleURL
        let products = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
        let process = Process()
        process.executableURL = products.appendingPathComponent("tlab")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
