// `tlab serve` in a real browser: headless Chromium (through chromedriver) against a server on a store
// the smoke pipeline filled. Every page loads without console errors, the DAG shows every stage,
// clicking through lineage reaches a download, two runs compare, and a running stage's curve grows.
// Screenshots of each page go to serve-screenshots/ beside the build folder (.build/<triple>/) for a person to look at.
import Foundation
import Store
import TestSupport
import XCTest

final class ServeBrowserTests: XCTestCase {
    var screenshots: URL {
        productsDirectory.deletingLastPathComponent().appendingPathComponent("serve-screenshots")
    }

    func testPagesInAHeadlessBrowserOnTheSmokePipelinesStore() throws {
        guard let browser = try ChromeDriver.start() else {
            throw missingService("chromium or chromedriver is not installed; scripts/setup installs them")
        }
        addTeardownBlock { browser.stop() }
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let smoke = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipelines/smoke.yaml")
            .standardizedFileURL.path
        let folder = try makeScratchFolder()
        let store = folder.appendingPathComponent("store")
        let first = try tlab(["run", smoke, "--store", store.path, "--quiet", "--reports", "reports"], in: folder)
        XCTAssertEqual(first.status, 0, first.stderr)
        let server = try ServedStore(self, store: store)

        // Each page loads without a console error; the runs page lists the run.
        var stageRunIDs: [String: Int64] = [:]
        for (name, path) in [("runs", "/"), ("run", "/runs/1"), ("report", "/runs/1/report"), ("claims", "/claims")] {
            try browser.open(server.base + path)
            try look(browser, name)
        }
        // The DAG shows every stage of the run, each linked to its stage run.
        try browser.open(server.base + "/runs/1")
        let nodes = try browser.execute("""
            return Array.from(document.querySelectorAll('#dag a.node')).map(a => [a.dataset.stage, a.getAttribute('href')]);
            """) as? [[String]] ?? []
        let rows = try browser.execute("return document.querySelectorAll('#stages tbody tr').length;") as? Int ?? -1
        XCTAssertEqual(nodes.count, 20, "the smoke pipeline has 20 stages")
        XCTAssertEqual(nodes.count, rows)
        for node in nodes { stageRunIDs[node[0]] = Int64(node[1].split(separator: "/").last!) }
        XCTAssertNotNil(stageRunIDs["finetune@frozen"])

        // From the report's node: its stage run, the lineage up of what it read, an artifact, its download.
        try browser.click("a.node[data-stage='report']")
        try look(browser, "stage-run-report")
        XCTAssertTrue(try browser.currentURL.hasSuffix("/stage-runs/\(stageRunIDs["report"]!)"))
        try browser.click("#inputs a[href$='/lineage']")
        try look(browser, "lineage-up")
        let lineageStages = try browser.execute("return Array.from(document.querySelectorAll('#lineage tbody tr td:nth-child(2)')).map(td => td.textContent);")
            as? [String] ?? []
        XCTAssertTrue(lineageStages.contains("pretrain") && lineageStages.contains("data"), "\(lineageStages)")
        try browser.click("#lineage a[href^='/artifacts/'][class='hash']")
        try look(browser, "artifact")
        let download = try browser.execute("return document.getElementById('download').href;") as? String ?? ""
        let hash = String(try XCTUnwrap(download.split(separator: "/").dropLast().last))
        let bytes = try httpRequest(download)
        XCTAssertEqual(bytes.status, 200)
        XCTAssertEqual(bytes.body, try BlobStore.open(root: store, create: false).read(hash))

        // A tensor artifact shows its tensors' figures.
        try browser.open(server.base + "/stage-runs/\(stageRunIDs["finetune@frozen"]!)")
        try look(browser, "stage-run-finetune")
        XCTAssertGreaterThan(try browser.execute("return document.querySelectorAll('#curves svg').length;") as? Int ?? 0, 0)

        // A second run whose pretrain trains longer; its curve grows on the open page as epochs finish.
        let second = try startRun(["run", smoke, "--store", store.path, "--quiet", "-S", "pretrain.epochs=40"], in: folder)
        let pretrain = try runningStageRun("pretrain", run: 2, server: server, process: second)
        try browser.open(server.base + "/stage-runs/\(pretrain)")
        let epochs = { try browser.execute("return Number(document.getElementById('epochs').dataset.epochs);") as? Int ?? -1 }
        let start = try epochs()
        let deadline = Date().addingTimeInterval(180)
        while try epochs() < start + 2, Date() < deadline, second.isRunning { Thread.sleep(forTimeInterval: 1) }
        XCTAssertGreaterThanOrEqual(try epochs(), start + 2, "the page redrew the curve as epochs finished")
        try look(browser, "stage-run-live")
        second.interrupt()
        second.waitUntilExit()

        // The two runs compare: pretrain's epochs differ.
        try browser.open(server.base + "/compare?a=1&b=2")
        try look(browser, "compare")
        let differing = try browser.execute("return document.getElementById('parameters').textContent;") as? String ?? ""
        XCTAssertTrue(differing.contains("pretrainepochs640"), differing)
    }

    /// Fails on any console error of the page, and saves its screenshot as `name`.png.
    private func look(_ browser: ChromeDriver, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let errors = try browser.consoleMessages().filter { $0.level == "SEVERE" }
        XCTAssertTrue(errors.isEmpty, "\(name): console errors \(errors)", file: file, line: line)
        try browser.screenshot().write(to: screenshots.appendingPathComponent("\(name).png"))
    }

    private func startRun(_ arguments: [String], in folder: URL) throws -> Process {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("tlab")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "TLAB_STORE" }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        addTeardownBlock {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
        }
        return process
    }

    /// The id of stage `stage` of run `run` once it is running (120 s at most), read from the run's page.
    private func runningStageRun(_ stage: String, run: Int, server: ServedStore, process: Process) throws -> Int64 {
        let pattern = #"href="/stage-runs/([0-9]+)" class="node" data-stage="\#(stage)" data-state="running""#
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            let page = try httpRequest(server.base + "/runs/\(run)").text
            if let match = page.range(of: pattern, options: .regularExpression) {
                let digits = page[match].split(separator: "/")[2].prefix { $0.isNumber }
                return Int64(digits)!
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        throw ServeTestError.didNotStart("stage \(stage) of run \(run) was not running within 120 s")
    }
}
