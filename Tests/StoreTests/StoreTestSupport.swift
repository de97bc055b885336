// Shared fixtures for the Store tests: scratch folders and deterministic test bytes.
import Foundation
import XCTest

extension XCTestCase {
    /// A fresh empty folder, deleted when the test ends.
    func makeScratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tlab-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock {
            // Blobs are read-only; make them writable so the folder can go.
            _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", url.path]).waitUntilExit()
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }
}

/// `count` bytes from a fixed-seed xorshift generator: incompressible-ish, and the same on every run.
func testBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Data {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[i] = UInt8(truncatingIfNeeded: state)
    }
    return Data(bytes)
}

/// Runs a program to completion and returns its exit status and standard output.
@discardableResult
func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// Changes one byte of a (read-only) file in place.
func flipByte(at offset: Int, of url: URL) throws {
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
    var bytes = try Data(contentsOf: url)
    bytes[offset] ^= 0x5A
    try bytes.write(to: url)
}
