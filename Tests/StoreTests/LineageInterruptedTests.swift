// Rows left `running` by a dead process are marked interrupted; rows of live owners are left alone.
import Foundation
import XCTest
@testable import Store

final class LineageInterruptedTests: XCTestCase {
    /// Starts a run and a stage run in `path` as if `owner` had, and returns the stage run.
    private func startStage(in path: String, as owner: ProcessIdentity, at date: Date = Date()) throws -> StageRunRecord {
        let theirs = try LineageDatabase(path: path, identity: owner)
        let run = try theirs.startRun(pipeline: "default", pipelineHash: "p", seed: nil, toolVersion: "0.1", at: date)
        return try theirs.startStageRun(runID: run.id!, key: "k", stage: "pretrain", kind: "pretrain",
                                        params: "{}", at: date)
    }

    private func databasePath() throws -> String {
        try makeScratchFolder().appendingPathComponent("lineage.sqlite").path
    }

    func testStageOfAnExitedProcessIsMarkedInterrupted() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = ProcessIdentity(host: ProcessIdentity.current.host, pid: child.processIdentifier, startTicks: 1)
        let path = try databasePath()
        let orphan = try startStage(in: path, as: dead)

        let ours = try LineageDatabase(path: path)
        let marked = try ours.markInterrupted()
        XCTAssertEqual(marked.map(\.id), [orphan.id])
        XCTAssertEqual(try ours.stageRun(id: orphan.id!)?.record.status, .interrupted)
        XCTAssertEqual(try ours.run(id: orphan.runID)?.status, .interrupted)
        XCTAssertTrue(try ours.markInterrupted().isEmpty, "marking is done once")
    }

    func testStageOfThisLiveProcessIsLeftRunning() throws {
        let path = try databasePath()
        let mine = try startStage(in: path, as: .current)
        let ours = try LineageDatabase(path: path)
        XCTAssertTrue(try ours.markInterrupted().isEmpty)
        XCTAssertEqual(try ours.stageRun(id: mine.id!)?.record.status, .running)
    }

    func testReusedPidWithAnotherStartTimeCountsAsDead() throws {
        let parent = getppid()
        let parentStart = try XCTUnwrap(ProcessIdentity.startTicks(of: parent), "this test needs /proc")
        let host = ProcessIdentity.current.host
        let path = try databasePath()
        let reused = try startStage(in: path, as: ProcessIdentity(host: host, pid: parent, startTicks: parentStart - 1))
        // Only startRun sweeps, so the live owner joins the run rather than starting one of its own.
        let live = try LineageDatabase(path: path, identity: ProcessIdentity(host: host, pid: parent, startTicks: parentStart))
            .startStageRun(runID: reused.runID, key: "k2", stage: "finetune", kind: "finetune", params: "{}")

        let ours = try LineageDatabase(path: path)
        XCTAssertEqual(try ours.markInterrupted().map(\.id), [reused.id])
        XCTAssertEqual(try ours.stageRun(id: live.id!)?.record.status, .running)
    }

    func testOtherHostsRowsWaitForTheTimeout() throws {
        let path = try databasePath()
        let started = Date()
        let remote = try startStage(in: path, as: ProcessIdentity(host: "other-machine", pid: 1, startTicks: nil),
                                    at: started)
        let ours = try LineageDatabase(path: path, foreignHostTimeout: 3600)
        XCTAssertTrue(try ours.markInterrupted(at: started.addingTimeInterval(60)).isEmpty)
        XCTAssertEqual(try ours.markInterrupted(at: started.addingTimeInterval(7200)).map(\.id), [remote.id])
    }

    func testStartingARunSweepsDeadOwnersFirst() throws {
        let dead = ProcessIdentity(host: ProcessIdentity.current.host, pid: Int32.max - 7, startTicks: nil)
        let path = try databasePath()
        let orphan = try startStage(in: path, as: dead)
        let ours = try LineageDatabase(path: path)
        _ = try ours.startRun(pipeline: "default", pipelineHash: "p", seed: nil, toolVersion: "0.1")
        XCTAssertEqual(try ours.stageRun(id: orphan.id!)?.record.status, .interrupted)
        XCTAssertEqual(try ours.stageRun(id: orphan.id!)?.record.error,
                       "process \(Int32.max - 7) on \(dead.host) ended before the stage finished")
    }

    func testStartTimeIsReadPastACommandNameWithSpacesAndParentheses() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000 10"
        XCTAssertEqual(ProcessIdentity.parseStartTicks(stat), 987654)
        XCTAssertNil(ProcessIdentity.parseStartTicks("4242 (truncated) S 1"))
        XCTAssertNotNil(ProcessIdentity.current.startTicks)
    }
}
