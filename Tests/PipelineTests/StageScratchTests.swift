// Scratch folders that no live process holds (their owner died by SIGKILL or a crash) are removed by
// the next run; those a live process holds, and folders of other names, stay. A process holds one by
// its lock; an unlocked folder whose pid is alive stays too, since a tlab from before scratch locks
// may be computing in it (a reused pid only delays the sweep of a stale folder).
import Foundation
import XCTest
@testable import Pipeline
import TestSupport

final class StageScratchTests: XCTestCase {
    func testSweepingRemovesOnlyTheScratchThatNoLiveProcessHolds() throws {
        let temporary = URL(fileURLWithPath: try makeTemporaryDirectory(self))
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = temporary.appendingPathComponent("tlab-stage-\(finished.processIdentifier)-A")
        // Pid 1 is alive: whoever it is, the folder is not swept from under it.
        let reused = temporary.appendingPathComponent("tlab-stage-1-B")
        let unnamed = temporary.appendingPathComponent("other-folder")
        for folder in [dead, reused, unnamed] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("download"), withIntermediateDirectories: true)
        }
        let mine = try StageScratch(in: temporary)
        XCTAssertTrue(mine.url.lastPathComponent.hasPrefix("tlab-stage-\(getpid())-"))

        XCTAssertEqual(StageScratch.sweepStale(in: temporary), [dead.lastPathComponent])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path).sorted(),
                       [mine.url.lastPathComponent, reused.lastPathComponent, unnamed.lastPathComponent].sorted())
        mine.remove()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path).sorted(),
                       [reused.lastPathComponent, unnamed.lastPathComponent].sorted())
    }
}
