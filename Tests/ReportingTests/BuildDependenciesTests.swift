// The versions a report names as "Built with" are the ones Package.swift pins: one list in source,
// checked against the manifest so a bump of a pin without the list (or the reverse) fails here.
import Foundation
@testable import Reporting
import XCTest

final class BuildDependenciesTests: XCTestCase {
    private let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Package.swift")

    func testPinnedVersionsAreThePackageManifestsExactPins() throws {
        let text = try String(contentsOf: manifest, encoding: .utf8)
        let pin = try NSRegularExpression(pattern: #"\.package\(url:\s*"[^"]*/([^/"]+?)(?:\.git)?",\s*exact:\s*"([^"]+)"\)"#)
        let pins = pin.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            DependencyVersion(name: String(text[Range(match.range(at: 1), in: text)!]),
                              version: String(text[Range(match.range(at: 2), in: text)!]))
        }
        let packages = text.components(separatedBy: ".package(url:").count - 1
        XCTAssertEqual(pins.count, packages, "every dependency in Package.swift must be pinned with exact:")
        XCTAssertEqual(pins.sorted { $0.name < $1.name }, BuildDependencies.pinned.sorted { $0.name < $1.name })
    }

    func testAReportsProvenanceNamesThemUnlessOlderThanTheField() throws {
        var report = ReportFixture.report()
        report.provenance.dependencies = BuildDependencies.pinned
        let markdown = try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile])
        XCTAssertTrue(markdown.contains("- Built with: " + BuildDependencies.pinned.map(\.description).joined(separator: ", ") + "\n"))
        // A report.json written before the field existed renders as it did then.
        report.provenance.dependencies = nil
        XCTAssertFalse(try XCTUnwrap(ReportWriter.render(report)[ReportWriter.markdownFile]).contains("Built with"))
    }
}
