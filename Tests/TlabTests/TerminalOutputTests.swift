// On a terminal (a pseudo-terminal from util-linux `script`), training progress is one live line
// rewritten in place and stage lines are coloured; NO_COLOR turns the colour off.
import Foundation
import XCTest

final class TerminalOutputTests: XCTestCase {
    /// Runs `tlab arguments` on a pseudo-terminal and returns what the terminal received.
    private func onTerminal(_ arguments: [String], in folder: URL, noColor: Bool) throws -> String {
        let tlabPath = productsDirectory.appendingPathComponent("tlab").path
        let command = ([tlabPath] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment.filter { $0.key != "TLAB_STORE" && $0.key != "NO_COLOR" }
        environment["TERM"] = "xterm"
        if noColor { environment["NO_COLOR"] = "1" }
        process.environment = environment
        let output = folder.appendingPathComponent("terminal.log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return try String(contentsOf: output, encoding: .utf8)
    }

    func testProgressIsALiveLineAndColourFollowsNoColor() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script")
        let folder = try makePipelineFolder()
        let coloured = try onTerminal(["run", "tiny.yaml", "--store", "store"], in: folder, noColor: false)
        // The trainer's live line: each batch rewrites it from the line's start.
        XCTAssertTrue(coloured.contains("\repoch 1/1  batch 1/"), coloured)
        XCTAssertTrue(coloured.contains("\u{1B}[32mcomputed\u{1B}[0m finetune@basic in "), coloured)

        let plain = try onTerminal(["status", "tiny.yaml", "--store", "store"], in: folder, noColor: true)
        XCTAssertTrue(plain.contains("tiny: 10 stages, 10 cached, 0 to run"), plain)
        XCTAssertFalse(plain.contains("\u{1B}["), "NO_COLOR leaves no escape codes:\n\(plain)")
        let redrawn = try onTerminal(["run", "tiny.yaml", "--store", "store", "-S", "variants.basic.lr=0.01"],
                                     in: folder, noColor: true)
        XCTAssertTrue(redrawn.contains("\repoch 1/1  batch 1/"), "the live line needs no colour: \(redrawn)")
        XCTAssertFalse(redrawn.contains("\u{1B}[32m"), redrawn)
    }
}
