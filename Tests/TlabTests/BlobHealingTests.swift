// A damaged blob heals on the next run with --verify-outputs: the stage that wrote it is recomputed
// and its put replaces the damaged file, with no quarantine step in between. (Without the flag a
// cache hit does not read its outputs; ExecutorDamageTests shows the read that finds the damage.)
import Foundation
import Store
import XCTest

final class BlobHealingTests: XCTestCase {
    /// Flips one byte in the middle of the blob `hash` of the store at `folder/store`.
    private func flipByte(of hash: String, in folder: URL) throws {
        let path = try BlobStore.open(root: folder.appendingPathComponent("store"), create: false).path(of: hash).path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func testDamagedBlobsOfSeveralStagesAreReplacedByTheNextRun() throws {
        let folder = try makePipelineFolder()
        let first = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        let info = try XCTUnwrap(outputs(of: "prep", in: folder)["info"])
        let weights = try XCTUnwrap(outputs(of: "pretrain", in: folder)["weights"])
        let evaluation = try XCTUnwrap(outputs(of: "evaluate@basic", in: folder)["evaluation"])
        for hash in [info, weights, evaluation] { try flipByte(of: hash, in: folder) }
        let damaged = try tlab(["verify", "--store", "store"], in: folder)
        XCTAssertEqual(damaged.status, 1, "the flipped bytes are damage verify must see")

        let unchecked = try tlab(["status", "tiny.yaml", "--store", "store"], in: folder)
        XCTAssertTrue(unchecked.stdout.contains("10 cached, 0 to run"), "a hit checks presence, not bytes:\n" + unchecked.stdout)

        let second = try tlab(["run", "tiny.yaml", "--store", "store", "--verify-outputs"], in: folder)
        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        for (stage, hash) in [("prep", info), ("pretrain", weights), ("evaluate@basic", evaluation)] {
            XCTAssertTrue(second.stdout.contains("start    \(stage)  key "), "\(stage) recomputes:\n\(second.stdout)")
            XCTAssertTrue(second.stdout.contains("(\(hash.prefix(12))) is damaged"), second.stdout)
        }
        XCTAssertEqual(try outputs(of: "prep", in: folder)["info"], info, "the recomputed blob has the same name")
        let verified = try tlab(["verify", "--store", "store"], in: folder)
        XCTAssertEqual(verified.status, 0, verified.stdout)
        XCTAssertTrue(verified.stdout.contains(" 0 corrupt, 0 missing"), verified.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("store/quarantine/\(info).zst").path))
    }
}
