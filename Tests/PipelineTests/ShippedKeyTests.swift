// The keys of every shipped pipeline's stages, pinned: a refactor that changed one would make every
// user's cache miss. Regenerate with TLAB_UPDATE_GOLDEN=1 only when a key must change, and say why
// (bump the kind's or the engine's version).
import Foundation
import XCTest
@testable import Pipeline
import TestSupport

final class ShippedKeyTests: XCTestCase {
    private let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Golden/shipped-keys.txt")

    func testEveryShippedPipelinesKeysAreAsPinned() throws {
        var lines = [String]()
        for file in ["smoke.yaml", "fashion-transfer.yaml", "cifar10-densenet121.yaml", "image-folder.yaml"] {
            let keys = Fixtures.keys(of: try PipelinePlan(contentsOf: Fixtures.pipeline(file)))
            lines += keys.keys.sorted().map { "\(file) \($0) \(keys[$0]!.hex)" }
        }
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["TLAB_UPDATE_GOLDEN"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let pinned = try String(contentsOf: golden, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").count, pinned.split(separator: "\n").count)
        for (now, then) in zip(text.split(separator: "\n"), pinned.split(separator: "\n")) {
            XCTAssertEqual(now, then)
        }
    }
}
