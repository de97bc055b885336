// The binary's own surface: version, help with examples on every command, usage errors, completions.
import Foundation
import XCTest

final class TlabBinaryTests: XCTestCase {
    func testVersion() throws {
        let result = try tlab(["--version"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("tlab "), result.stdout)
    }

    func testEveryCommandsHelpHasExamples() throws {
        let folder = try makeScratchFolder()
        let root = try tlab(["--help"], in: folder)
        XCTAssertTrue(root.stdout.contains("EXIT STATUS:"), root.stdout)
        XCTAssertTrue(root.stdout.contains("--generate-completion-script bash"), root.stdout)
        let commands = root.stdout.components(separatedBy: "SUBCOMMANDS:")[1].split(separator: "\n")
            .compactMap { line in line.hasPrefix("  ") && !line.hasPrefix("   ") ? line.split(separator: " ").first.map(String.init) : nil }
            .filter { $0 != "See" }
        XCTAssertTrue(commands.contains("lineage") && commands.contains("verify"), "\(commands)")
        for command in commands {
            let help = try tlab([command, "--help"], in: folder)
            XCTAssertEqual(help.status, 0, command)
            XCTAssertTrue(help.stdout.contains("EXAMPLES:\n  tlab \(command)"), "tlab \(command) --help:\n\(help.stdout)")
        }
    }

    func testUsageErrorsExitTwoWithOneLineNamingTheHelp() throws {
        let result = try tlab(["show"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "error: Missing expected argument '<hash>' (see 'tlab show --help')\n")

        let badFormat = try tlab(["lineage", "abc", "--format", "svg"], in: try makeScratchFolder())
        XCTAssertEqual(badFormat.status, 2)
        XCTAssertEqual(badFormat.stderr.split(separator: "\n").count, 1, badFormat.stderr)
        XCTAssertTrue(badFormat.stderr.contains("'tree', 'json' or 'mermaid'"), badFormat.stderr)
    }

    func testBashCompletionComesFromTheParser() throws {
        let result = try tlab(["--generate-completion-script", "bash"], in: try makeScratchFolder())
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("\ncomplete -o filenames -F _tlab tlab\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\n_tlab_lineage() {\n"), "each subcommand gets its completion function")
    }
}
