// A pipeline or store file built to blow up: nested aliases, huge values, control characters in
// names. Each is refused or reported in one short line, in bounded time and memory.
import XCTest
@testable import Pipeline

final class HostileYAMLTests: XCTestCase {
    /// `target_classes` nesting `levels` levels of aliases of ten items each (`&a0 [x×10]`,
    /// `&a1 [*a0×10]`, …): 10^levels values in a file of a few hundred bytes.
    private func aliasBomb(levels: Int) -> String {
        func level(_ anchor: Int, of item: String) -> String {
            "&a\(anchor) [" + Array(repeating: item, count: 10).joined(separator: ", ") + "]"
        }
        var items = [level(0, of: "x")]
        for anchor in 1..<levels { items.append(level(anchor, of: "*a\(anchor - 1)")) }
        return """
        name: p
        stages:
          data: { kind: download, params: { source: synthetic } }
          prep: { kind: preprocess, inputs: { raw: data }, params: { target_classes: [\(items.joined(separator: ", "))] } }

        """
    }

    func testNestedAliasesAreRefusedBeforeTheyExpand() {
        let started = Date()
        let problems = Fixtures.problems(aliasBomb(levels: 8))
        XCTAssertEqual(problems, ["p.yaml:1:1: not valid YAML: the YAML expands through its aliases (*name) to more than"
                                  + " 100000 values; write the values out or use fewer nested aliases"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "counting stops at the limit, it does not expand 10^8 values")
    }

    func testAFewAliasesStillWork() {
        let yaml = """
        name: p
        stages:
          data: { kind: download, params: { source: synthetic, images: &n 100 } }
          other: { kind: download, params: { source: synthetic, images: *n } }
        """
        XCTAssertEqual(Fixtures.problems(yaml), [])
    }

    func testALongOverrideIsShownAsAnExcerpt() {
        let long = "[" + Array(repeating: "x", count: 400).joined(separator: ", ") + "]"
        let problems = Fixtures.problems("name: p\nstages:\n  data: { kind: download, params: { source: synthetic } }\n",
                                         overrides: ["data.images=" + long])
        XCTAssertEqual(problems.count, 1)
        XCTAssertLessThan(problems[0].count, 400, problems[0])
    }

    func testAHugeWrongValueIsShownAsAShortExcerpt() {
        let values = Array(repeating: "abcdefghij", count: 20_000).joined(separator: ", ")
        let yaml = """
        name: p
        stages:
          data: { kind: download, params: { source: synthetic } }
          prep: { kind: preprocess, inputs: { raw: data }, params: { target_classes: [\(values)] } }
        """
        let problems = Fixtures.problems(yaml)
        XCTAssertEqual(problems.count, 1, "\(problems.map { $0.prefix(300) })")
        XCTAssertLessThan(problems.first?.count ?? 0, 400, String(problems.first?.prefix(600) ?? ""))
        XCTAssertTrue(problems.first?.contains("more") ?? false, "the excerpt says values were left out")
    }

    func testANewlineOrEscapeInANameDoesNotSplitOrColourItsError() {
        let problems = Fixtures.problems("name: \"evil\\nname\\e[31m\"\nstages:\n  data: { kind: download, params: { source: synthetic } }\n")
        XCTAssertEqual(problems, ["p.yaml:1:7: 'evil\\nname\\u{1B}[31m' is not a valid name; use letters, digits, '_' and '-', starting with a letter"])
        XCTAssertFalse(problems.joined().contains("\n"))
    }

    func testAURLWithCredentialsIsRefusedWithoutEchoingThem() {
        let yaml = """
        name: p
        stages:
          data: { kind: download, params: { source: url, url: "https://alice:s3cret@example.org/d.tar.gz?token=abc", sha256: \(String(repeating: "0", count: 64)) } }
        """
        XCTAssertEqual(Fixtures.problems(yaml), [
            "p.yaml:3:55: 'url' is \"https://alice:***@example.org/d.tar.gz?token=***\", expected a URL without a user name or password;"
                + " give the credentials in a netrc file (~/.netrc or $NETRC: machine HOST login USER password PASSWORD)",
        ])
    }

    func testAStoreFileThatIsNotYAMLIsReportedWithoutQuotingIt() {
        XCTAssertThrowsError(try SharedStoreFile(yaml: "blobs: /tmp/b\nlineage: \"postgresql://u:s3cret@h/db\n", file: "store.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("store.yaml"), text)
            XCTAssertTrue(text.contains("it is not YAML"), text)
            XCTAssertFalse(text.contains("s3cret") || text.contains("\n"), text)
        }
    }

    func testAStoreFileWithNestedAliasesIsRefused() {
        var lines = ["lineage: postgresql://u@localhost/db", "blobs: /tmp/x", "extra:", "  - &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1..<7 {
            lines.append("  - &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        XCTAssertThrowsError(try SharedStoreFile(yaml: lines.joined(separator: "\n"), file: "store.yaml")) { error in
            XCTAssertTrue("\(error)".contains("expands through its aliases"), "\(error)")
        }
    }
}
