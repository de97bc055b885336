// verify and gc on a store with an orphan blob and a corrupted one: counts, exit codes, quarantine,
// and what gc sweeps.
import Foundation
import Store
import XCTest

final class MaintenanceCommandTests: XCTestCase {
    /// The lineage store plus an orphan (a blob no artifact row names) and, if asked, the recorded
    /// raw archive's blob overwritten with other bytes.
    private func damagedStore(corrupt: Bool) throws -> (URL, orphan: String, corrupted: String) {
        let folder = try makeScratchFolder()
        let (store, hashes) = try makeLineageStore(in: folder)
        let orphan = try store.blobs.put(Data("left by a run that died".utf8)).hash
        if corrupt {
            let path = try store.blobs.path(of: hashes.archive).path
            let other = try store.blobs.path(of: orphan).path
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            // A valid zstd frame of other content: only the hash check can tell.
            try Data(contentsOf: URL(fileURLWithPath: other)).write(to: URL(fileURLWithPath: path))
        }
        return (folder, orphan, hashes.archive)
    }

    func testVerifyOfAHealthyStoreExitsZeroAndCountsTheOrphan() throws {
        let (folder, orphan, _) = try damagedStore(corrupt: false)
        let result = try tlab(["verify", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "5 blobs checked: 5 intact, 0 corrupt, 0 missing, 1 orphaned\n"
            + "orphan   \(orphan): no artifact row names it ('tlab gc' sweeps it)\n")
    }

    func testVerifyExitsOneOnACorruptBlobAndQuarantineClearsIt() throws {
        let (folder, _, corrupted) = try damagedStore(corrupt: true)
        let result = try tlab(["verify", "--store", "store", "--json"], in: folder)
        XCTAssertEqual(result.status, 1)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(summary["damaged"] as? Bool, true)
        XCTAssertEqual((summary["corrupt"] as! [[String: Any]]).map { $0["hash"] as! String }, [corrupted])
        XCTAssertEqual((summary["orphaned"] as! [String]).count, 1)
        // The field names scripts read: VerifyReport encodes itself as the command always printed it.
        XCTAssertEqual(Set(summary.keys), ["checked", "intact", "corrupt", "missing", "orphaned", "damaged",
                                           "remoteListed", "remoteChecked"])
        XCTAssertEqual(Set((summary["corrupt"] as! [[String: Any]])[0].keys), ["hash", "reason", "inRemote", "removed"])
        XCTAssertEqual((summary["corrupt"] as! [[String: Any]])[0]["removed"] as? Bool, false)

        let quarantined = try tlab(["verify", "--store", "store", "--quarantine"], in: folder)
        XCTAssertEqual(quarantined.status, 1, "the damage is still reported the time it is found")
        XCTAssertTrue(quarantined.stdout.contains("Damage quarantined"), quarantined.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("store/quarantine/\(corrupted).zst").path))
        let again = try tlab(["verify", "--store", "store"], in: folder)
        XCTAssertEqual(again.status, 0, again.stdout)
        XCTAssertTrue(again.stdout.hasPrefix("4 blobs checked: 4 intact, 0 corrupt, 0 missing, 1 orphaned"), again.stdout)
    }

    func testGCSweepsTheOrphanOnlyPastTheGracePeriod() throws {
        let (folder, orphan, _) = try damagedStore(corrupt: false)
        let young = try tlab(["gc", "--store", "store"], in: folder)
        XCTAssertEqual(young.status, 0, young.stderr)
        XCTAssertTrue(young.stdout.hasPrefix("kept 4 blobs (runs 1 and the cache); deleted 0 blobs, 0 B; spared 1 younger"),
                      young.stdout)

        let dry = try tlab(["gc", "--store", "store", "--grace", "0", "--dry-run", "--json"], in: folder)
        let plan = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(plan["swept"] as? [String], [orphan])
        XCTAssertEqual(plan["dryRun"] as? Bool, true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("store/blobs/\(orphan.prefix(2))/\(orphan.dropFirst(2)).zst").path))

        let swept = try tlab(["gc", "--store", "store", "--grace", "0"], in: folder)
        XCTAssertEqual(swept.status, 0, swept.stderr)
        XCTAssertTrue(swept.stdout.contains("deleted  \(orphan)\n"), swept.stdout)
        let verified = try tlab(["verify", "--store", "store"], in: folder)
        XCTAssertEqual(verified.stdout, "4 blobs checked: 4 intact, 0 corrupt, 0 missing, 0 orphaned\n")
    }
}
