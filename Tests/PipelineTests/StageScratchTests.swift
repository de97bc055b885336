// Scratch folders of processes that died without cleaning up (SIGKILL, a crash) are removed by the
// next run; those of live processes, and folders of other names, stay.
import Foundation
import XCTest
@testable import Pipeline

final class StageScratchTests: XCTestCase {
    func testSweepingRemovesOnlyTheScratchOfDeadProcesses() throws {
        let temporary = URL(fileURLWithPath: try makeTemporaryDirectory(self))
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = temporary.appendingPathComponent("tlab-stage-\(finished.processIdentifier)-A")
        let mine = StageScratch.make(in: temporary)
        let unnamed = temporary.appendingPathComponent("tlab-stage-0B2C9F3E-UUID-ONLY")
        for folder in [dead, mine, unnamed] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("download"), withIntermediateDirectories: true)
        }
        XCTAssertTrue(mine.lastPathComponent.hasPrefix("tlab-stage-\(getpid())-"))

        XCTAssertEqual(StageScratch.sweepStale(in: temporary), [dead.lastPathComponent])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path).sorted(),
                       [mine.lastPathComponent, unnamed.lastPathComponent].sorted())
    }
}
