// Builds data-set fixtures for the reader and download tests: temp directories, gzip and tar files
// made with the system's gzip/tar, IDX files and CIFAR-10 records of known content.
import Foundation
import XCTest

/// A temporary directory removed when the test case ends.
public func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("tlab-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Runs a command to completion and returns its standard output; fails the test on a non-zero exit.
@discardableResult
public func runTool(_ executable: String, _ arguments: [String], input: Data? = nil,
             directory: String? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let stdout = Pipe(), stdin = Pipe()
    process.standardOutput = stdout
    process.standardInput = stdin
    try process.run()
    // Feed stdin from another thread: the tool may fill its stdout pipe before reading all its input.
    let writer = stdin.fileHandleForWriting
    DispatchQueue.global().async {
        if let input { writer.write(input) }
        try? writer.close()
    }
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "runTool", code: Int(process.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments) failed"])
    }
    return output
}

/// `data` compressed by the gzip command.
public func gzipped(_ data: Data) throws -> Data {
    try runTool("/bin/gzip", ["-c", "-n"], input: data)
}

public func write(_ data: Data, to directory: String, _ name: String) throws -> String {
    let path = (directory as NSString).appendingPathComponent(name)
    try data.write(to: URL(fileURLWithPath: path))
    return path
}

/// An IDX file: big-endian magic and dimensions, then `body`.
public func idxFile(magic: UInt32, dimensions: [Int], body: [UInt8]) -> Data {
    var bytes = [UInt8]()
    for value in [magic] + dimensions.map(UInt32.init) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
    return Data(bytes + body)
}

/// `count` images of `side × side` whose pixel p of image i is (7i + p) mod 256, and their labels.
public func idxFixture(count: Int, side: Int, labels: [UInt8]) -> (images: Data, labels: Data) {
    let pixels = (0..<count * side * side).map { UInt8(($0 / (side * side) * 7 + $0 % (side * side)) % 256) }
    return (idxFile(magic: 0x803, dimensions: [count, side, side], body: pixels),
            idxFile(magic: 0x801, dimensions: [labels.count], body: labels))
}

/// CIFAR-10 binary records: label, then 3072 pixel bytes that all equal `fill`.
public func cifarRecords(_ records: [(label: UInt8, fill: UInt8)]) -> Data {
    var bytes = [UInt8]()
    for (label, fill) in records { bytes.append(label); bytes += [UInt8](repeating: fill, count: 3072) }
    return Data(bytes)
}

/// A tar.gz (ustar, or `format` as tar names it), made by the tar command, holding `files`
/// (relative paths) with their contents.
public func tarGz(_ files: [(String, Data)], in directory: String, named name: String,
           format: String = "ustar") throws -> String {
    let staging = (directory as NSString).appendingPathComponent("staging-\(name)")
    for (path, contents) in files {
        let full = (staging as NSString).appendingPathComponent(path)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(to: URL(fileURLWithPath: full))
    }
    let archive = (directory as NSString).appendingPathComponent(name)
    try runTool("/bin/tar", ["--format=" + format, "-czf", archive] + files.map(\.0), directory: staging)
    return archive
}

extension XCTestCase {
    /// A base URL on 127.0.0.1 serving the files of `directory` (Python's http.server), stopped when
    /// the test ends.
    public func serveFolder(_ directory: String) throws -> String {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory]
        let stdout = Pipe()
        server.standardOutput = stdout
        server.standardError = FileHandle.nullDevice
        try server.run()
        addTeardownBlock { server.terminate(); server.waitUntilExit() }
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        let port = try XCTUnwrap(words.firstIndex(of: "port").flatMap { Int(words[$0 + 1]) }, "no port in '\(String(decoding: line, as: UTF8.self))'")
        return "http://127.0.0.1:\(port)/"
    }
}
