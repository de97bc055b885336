// `tlab serve` over HTTP: each page on a small store written through the Store API, the token rule,
// and that serving writes nothing to the store.
import Foundation
import Store
import TestSupport
import XCTest

final class ServeTests: XCTestCase {
    /// Run 1 (finished): data → prep → pretrain (epochs 2, with curves) → report. Run 2 (still
    /// running): data → pretrain with epochs 3 and a curve so far.
    struct TwoRuns {
        let root: URL
        let hashes: LineageStoreHashes
        let pretrain1: Int64
        let pretrain2: Int64
    }

    func makeTwoRuns() throws -> TwoRuns {
        let folder = try makeScratchFolder()
        let (first, hashes) = try makeLineageStore(in: folder)
        let pretrain1 = try first.lineage.stageRuns(ofRun: first.runID).first { $0.stage == "pretrain" }!.id!
        try first.lineage.recordMetrics(stageRunID: pretrain1, [
            MetricPoint(name: "loss", step: 1, value: 1.5), MetricPoint(name: "loss", step: 2, value: 0.9),
            MetricPoint(name: "val_accuracy", step: 1, value: 0.4), MetricPoint(name: "val_accuracy", step: 2, value: 0.6),
            MetricPoint(name: "test_accuracy", step: 0, value: 0.55),
        ])
        let second = try StoreFixture(root: first.root, pipeline: "fixture")
        try second.record(stage: "data", kind: "download", params: #"{"source":"synthetic"}"#,
                          outputs: ["archive": (Data("raw images".utf8), .raw)],
                          material: #"{"engine":1,"inputs":{},"kind":"download","params":{"source":"synthetic"},"version":1}"#)
        let pretrain2 = try second.lineage.startStageRun(
            runID: second.runID, key: String(repeating: "b", count: 64), stage: "pretrain", kind: "pretrain",
            params: #"{"epochs":3,"lr":0.001}"#,
            material: #"{"engine":1,"inputs":{},"kind":"pretrain","params":{"epochs":3},"version":1}"#).id!
        try second.lineage.recordMetrics(stageRunID: pretrain2, [MetricPoint(name: "loss", step: 1, value: 1.4)])
        return TwoRuns(root: first.root, hashes: hashes, pretrain1: pretrain1, pretrain2: pretrain2)
    }

    func testRunsPageListsRunsNewestFirstAndFiltersByStatus() throws {
        let store = try makeTwoRuns()
        let server = try ServedStore(self, store: store.root)
        let all = try httpRequest(server.base + "/")
        XCTAssertEqual(all.status, 200)
        XCTAssertEqual(all.headers["content-type"], "text/html; charset=utf-8")
        let newer = try XCTUnwrap(all.text.range(of: "href=\"/runs/2\"")), older = try XCTUnwrap(all.text.range(of: "href=\"/runs/1\""))
        XCTAssertLessThan(newer.lowerBound, older.lowerBound, "newest first")
        XCTAssertTrue(all.text.contains("2 of 2 runs"))
        let finished = try httpRequest(server.base + "/?status=finished")
        XCTAssertTrue(finished.text.contains("href=\"/runs/1\""))
        XCTAssertFalse(finished.text.contains("href=\"/runs/2\""))
        XCTAssertTrue(finished.text.contains("1 of 2 runs"))
        let wrong = try httpRequest(server.base + "/?status=done")
        XCTAssertEqual(wrong.status, 400)
        XCTAssertTrue(wrong.text.contains("status &#39;done&#39; is not one of running, finished, failed, interrupted"), wrong.text)
    }

    func testRunPageDrawsEveryStageAndSaysWhyItRan() throws {
        let store = try makeTwoRuns()
        let server = try ServedStore(self, store: store.root)
        let run1 = try httpRequest(server.base + "/runs/1")
        XCTAssertEqual(run1.status, 200)
        for stage in ["data", "prep", "pretrain", "report"] {
            XCTAssertTrue(run1.text.contains("data-stage=\"\(stage)\" data-state=\"computed\""), "the DAG draws \(stage)")
        }
        // prep read data's output and pretrain prep's: each is drawn right of what it read, with an arrow.
        XCTAssertEqual(run1.text.components(separatedBy: "class=\"edge\"").count - 1, 4)
        XCTAssertTrue(run1.text.contains("epochs=2"), "parameters are listed")
        let run2 = try httpRequest(server.base + "/runs/2")
        XCTAssertTrue(run2.text.contains("data-stage=\"pretrain\" data-state=\"running\""))
        // Run 1 recorded no key material; run 2's pretrain is compared with run 1's.
        let pretrain2 = try httpRequest(server.base + "/stage-runs/\(store.pretrain2)")
        XCTAssertTrue(pretrain2.text.contains("its key material was not recorded") || pretrain2.text.contains("its last run recorded no key material"),
                      pretrain2.text)
        XCTAssertEqual(try httpRequest(server.base + "/runs/9").status, 404)
        XCTAssertTrue(try httpRequest(server.base + "/runs/9").text.contains("no run 9 in this store; the newest is run 2"))
    }

    func testStageRunLinksLineageToArtifactsTheirFiguresAndDownloads() throws {
        let store = try makeTwoRuns()
        let server = try ServedStore(self, store: store.root)
        let page = try httpRequest(server.base + "/stage-runs/\(store.pretrain1)")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("href=\"/artifacts/\(store.hashes.images)\""), "its input links to the artifact")
        XCTAssertTrue(page.text.contains("href=\"/artifacts/\(store.hashes.weights)/download\""), "its output has a download")
        XCTAssertTrue(page.text.contains("href=\"/stage-runs/"), "the stage that made the input and the one that read the output link on")

        let weights = try httpRequest(server.base + "/artifacts/\(store.hashes.weights)")
        XCTAssertTrue(weights.text.contains("<td>w</td><td>F32</td><td>[2, 3]</td><td>0</td><td>5</td><td>2.5</td>")
                      || weights.text.contains("<td>w</td><td>f32</td><td>[2, 3]</td><td>0</td><td>5</td><td>2.5</td>"), weights.text)
        let download = try httpRequest(server.base + "/artifacts/\(store.hashes.weights)/download")
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(download.body, try BlobStore.open(root: store.root, create: false).read(store.hashes.weights))
        XCTAssertEqual(download.headers["content-disposition"], "attachment; filename=\"\(String(store.hashes.weights.prefix(12))).safetensors\"")

        let up = try httpRequest(server.base + "/artifacts/\(store.hashes.weights)/lineage")
        for stage in ["pretrain", "prep", "data"] { XCTAssertTrue(up.text.contains(">\(stage)</a>"), "lineage up reaches \(stage)") }
        let down = try httpRequest(server.base + "/artifacts/\(store.hashes.archive)/lineage?walk=down")
        for stage in ["prep", "pretrain", "report"] { XCTAssertTrue(down.text.contains(">\(stage)</a>"), "lineage down reaches \(stage)") }
        let missing = try httpRequest(server.base + "/artifacts/abcdef")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.text.contains("no artifact hash starts with &#39;abcdef&#39;"), missing.text)
    }

    func testCurvesRedrawWhileRunningAndTwoRunsCompare() throws {
        let store = try makeTwoRuns()
        let server = try ServedStore(self, store: store.root)
        let finished = try httpRequest(server.base + "/stage-runs/\(store.pretrain1)/curves")
        XCTAssertTrue(finished.text.contains("loss per epoch") && finished.text.contains("val_accuracy per epoch"))
        XCTAssertEqual(finished.headers["x-tlab-running"], "no")
        let running = try httpRequest(server.base + "/stage-runs/\(store.pretrain2)/curves")
        XCTAssertEqual(running.headers["x-tlab-running"], "yes", "the page keeps asking while the stage runs")
        XCTAssertTrue(try httpRequest(server.base + "/stage-runs/\(store.pretrain2)").text.contains("data-live=\"/stage-runs/\(store.pretrain2)/curves\""))
        let overlaid = try httpRequest(server.base + "/runs/1/curves")
        XCTAssertTrue(overlaid.text.contains("loss per epoch"))

        let compare = try httpRequest(server.base + "/compare?a=1&b=2")
        XCTAssertEqual(compare.status, 200)
        XCTAssertTrue(compare.text.contains("<td>pretrain</td><td>epochs</td><td>2</td><td>3</td>"), compare.text)
        XCTAssertTrue(compare.text.contains("<td>pretrain</td><td>test_accuracy</td><td>0.55 (1)</td><td>-</td>"), compare.text)
        XCTAssertTrue(compare.text.contains("<td>pretrain</td><td>final val_accuracy</td><td>0.6 (1)</td>"), compare.text)
        XCTAssertEqual(try httpRequest(server.base + "/compare?a=x").status, 400)
    }

    func testAnotherHostNeedsATokenAndEveryRequestMustCarryIt() throws {
        let store = try makeTwoRuns()
        let folder = store.root.deletingLastPathComponent()
        let refused = try tlab(["serve", "--store", store.root.path, "--host", "0.0.0.0"], in: folder)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--host 0.0.0.0 lets other machines reach the server: give --token or --token-file"), refused.stderr)
        let short = try tlab(["serve", "--store", store.root.path, "--token", "short"], in: folder)
        XCTAssertTrue(short.stderr.contains("--token has 5 characters; a token needs at least 16"), short.stderr)

        let token = "s3cret-token-0123456789"
        let tokenFile = folder.appendingPathComponent("token")
        try Data("\(token)\n".utf8).write(to: tokenFile)
        let server = try ServedStore(self, store: store.root, arguments: ["--host", "0.0.0.0", "--token-file", tokenFile.path])
        let base = server.base
        XCTAssertEqual(try httpRequest(base + "/").status, 401)
        XCTAssertEqual(try httpRequest(base + "/static/tlab.css").status, 401, "every request, not only pages")
        XCTAssertEqual(try httpRequest(base + "/", headers: ["Authorization": "Bearer wrong-token-0123456789"]).status, 401)
        XCTAssertEqual(try httpRequest(base + "/", headers: ["Authorization": "Bearer \(token)"]).status, 200)
        let first = try httpRequest(base + "/runs/1?token=\(token)&x=1")
        XCTAssertEqual(first.status, 303)
        XCTAssertEqual(first.headers["location"], "/runs/1?x=1", "the token leaves the address bar")
        XCTAssertEqual(first.headers["set-cookie"], "tlab_token=\(token); Path=/; HttpOnly; SameSite=Strict")
        XCTAssertEqual(try httpRequest(base + "/runs/1", headers: ["Cookie": "tlab_token=\(token)"]).status, 200)
        XCTAssertEqual(try httpRequest(base + "/runs/1", headers: ["Cookie": "tlab_token=\(token)x"]).status, 401)
    }

    func testServingWritesNothingToTheStore() throws {
        let store = try makeTwoRuns()
        // SQLite's -shm file is shared memory between connections (readers mark what they read in it), and
        // a reader of a WAL database whose writers have all closed makes an empty -wal: neither holds data.
        func snapshot() throws -> [String: String] {
            var files: [String: String] = [:]
            let enumerator = FileManager.default.enumerator(at: store.root, includingPropertiesForKeys: [.isRegularFileKey])!
            for case let url as URL in enumerator where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true
                && !url.lastPathComponent.hasSuffix("-shm") {
                let data = try Data(contentsOf: url)
                if url.lastPathComponent.hasSuffix("-wal") && data.isEmpty { continue }
                files[url.path] = Digest.sha256Hex(data)
            }
            return files
        }
        let before = try snapshot()
        let server = try ServedStore(self, store: store.root)
        for path in ["/", "/runs/1", "/runs/2", "/runs/1/curves", "/stage-runs/\(store.pretrain1)", "/artifacts/\(store.hashes.weights)",
                     "/artifacts/\(store.hashes.weights)/download", "/artifacts/\(store.hashes.images)/lineage?walk=down",
                     "/compare?a=1&b=2", "/claims"] {
            XCTAssertEqual(try httpRequest(server.base + path).status, 200, path)
        }
        let post = try httpRequest(server.base + "/runs/1", method: "POST")
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.headers["allow"], "GET, HEAD")
        server.process.terminate()
        server.process.waitUntilExit()
        XCTAssertEqual(try snapshot(), before)
    }

    func testAMissingStoreIsNotCreated() throws {
        let folder = try makeScratchFolder()
        let result = try tlab(["serve", "--store", "nowhere", "--port", "0"], in: folder)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("is not an artifact store (the folder does not exist)"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("nowhere").path))
    }
}
