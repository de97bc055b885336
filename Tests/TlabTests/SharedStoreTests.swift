// Several `tlab` processes on one store: three runs on one local store, and two or three workers on a
// shared store (PostgreSQL lineage, a shared blob folder), each "machine" in a network namespace of
// its own reaching PostgreSQL over a veth link and named as a host of its own. Each stage key is
// computed once, counted from lineage, and the outputs are those of a run on one machine.
import Foundation
import Store
import TestSupport
import XCTest

final class SharedStoreTests: XCTestCase {
    nonisolated(unsafe) static var server: Result<PostgresServer, Error>?
    nonisolated(unsafe) static var network: TestNetwork?
    nonisolated(unsafe) static var networkProblem: String?

    override class func setUp() {
        super.setUp()
        let (network, problem) = TestNetwork.create(count: 3)
        (Self.network, networkProblem) = (network, problem)
        server = Result { try PostgresServer(listen: network?.machines.map(\.hostAddress) ?? []) }
        // For the lineage this process opens to count what the runs did.
        setenv("PGPASSWORD", PostgresServer.processPassword, 1)
    }

    override class func tearDown() {
        if case .success(let server) = server { server.stop() }
        network?.destroy()
        super.tearDown()
    }

    func postgres() throws -> PostgresServer {
        switch Self.server {
        case .success(let server)?: return server
        case .failure(PostgresServer.Failure.unavailable(let reason))?: throw missingService(reason)
        case .failure(let error)?: throw error
        case nil: throw missingService("the PostgreSQL server was not started")
        }
    }

    /// A shared store file in `folder` whose database is a fresh one, reached from machine `index`
    /// through its link (or over loopback without namespaces). Returns the file's name.
    func sharedStore(in folder: URL, database: String, machine index: Int, blobs: URL) throws -> String {
        let server = try postgres()
        let host = Self.network?.machines[index].hostAddress ?? "127.0.0.1"
        let name = "store-\(index).yaml"
        try """
            lineage: \(server.connectionString(database: database, host: host))
            blobs: \(blobs.path)
            """.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    func freshDatabase() throws -> String {
        let server = try postgres()
        let name = "s_" + UUID().uuidString.prefix(8).lowercased()
        try server.psql("CREATE DATABASE \(name) OWNER \(server.user)", database: "postgres")
        return name
    }

    // MARK: Tests

    func testThreeRunsAtOnceOnOneLocalStoreComputeEachKeyOnce() throws {
        let folder = try makeSmokeFolder()
        let runs = try (0..<3).map { try startTlab(["run", "smoke.yaml", "--store", "store", "--quiet", "--reports", "r\($0)"],
                                                    in: folder, log: "run-\($0)") }
        for run in runs { try run.finish(within: 300) }
        for run in runs { XCTAssertEqual(run.status, 0, run.output) }
        let lineage = try LineageDatabase(path: folder.appendingPathComponent("store/lineage.sqlite").path)
        try assertEachKeyComputedOnce(lineage, keys: 18)
        try assertOutputsMatchOneMachine(lineage)
    }

    func testTwoAndThreeMachinesRunTheSmokePipelineTogether() throws {
        _ = try postgres()
        if let problem = Self.networkProblem {
            if servicesAreRequired { throw missingService(problem) }
            print("SharedStoreTests: loopback instead of namespaces: \(problem)")
        }
        for machines in [2, 3] {
            let folder = try makeSmokeFolder()
            let database = try freshDatabase()
            let blobs = folder.appendingPathComponent("shared-blobs")
            let runs = try (0..<machines).map { index in
                try startTlab(["run", "smoke.yaml", "--store", sharedStore(in: folder, database: database, machine: index, blobs: blobs),
                               "--quiet", "--reports", "r\(index)", "--lease", "5"],
                              in: folder, log: "machine-\(index)", machine: index)
            }
            for run in runs { try run.finish(within: 300) }
            for run in runs { XCTAssertEqual(run.status, 0, run.output) }
            let lineage = try LineageDatabase(postgres: try postgres().connectionString(database: database))
            try assertEachKeyComputedOnce(lineage, keys: 18)
            try assertOutputsMatchOneMachine(lineage)
            if Self.network != nil {
                let hosts = Set(try lineage.runs().map(\.host))
                XCTAssertEqual(hosts, Set((0..<machines).map { "machine-\($0)" }), "each run recorded its own machine")
            }
        }
    }

    func testAWorkerKilledMidFineTuneIsFinishedByAnotherFromItsCheckpoint() throws {
        let folder = try makeSmokeFolder()
        let database = try freshDatabase()
        let blobs = folder.appendingPathComponent("shared-blobs")
        let stores = try (0..<2).map { try sharedStore(in: folder, database: database, machine: $0, blobs: blobs) }
        let longer = ["-S", "variants.basic.epochs=16"]
        let submitted = try tlab(["run", "smoke.yaml", "--store", stores[0], "--submit"] + longer, in: folder,
                                 environment: try postgres().environment)
        XCTAssertEqual(submitted.status, 0, submitted.stdout + submitted.stderr)
        let workers = try (0..<2).map { index in
            try startTlab(["worker", "--store", stores[index], "--lease", "3"], in: folder, log: "worker-\(index)", machine: index)
        }
        let marker = "finetune@basic: epoch 3/16"
        let deadline = Date().addingTimeInterval(240)
        var victim: Int?
        while victim == nil && Date() < deadline && workers.allSatisfy(\.isRunning) {
            victim = workers.firstIndex { $0.output.contains(marker) }
            if victim == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        let killed = try XCTUnwrap(victim, "no worker reached '\(marker)':\n" + workers.map(\.output).joined(separator: "\n---\n"))
        workers[killed].kill()
        let survivor = workers[1 - killed]
        try survivor.finish(within: 300)
        try workers[killed].finish(within: 10)
        XCTAssertEqual(survivor.status, 0, survivor.output)
        XCTAssertTrue(survivor.output.contains("finetune@basic: resuming from the checkpoint after epoch"), survivor.output)

        let lineage = try LineageDatabase(postgres: try postgres().connectionString(database: database))
        let local = try referenceRun(overrides: longer)
        for stage in ["finetune@basic", "evaluate@basic", "finetune@frozen"] {
            let shared = try XCTUnwrap(lineage.latestStageRun(stage: stage)).outputs.filter { !$0.key.hasPrefix("checkpoint") }
            XCTAssertEqual(shared, local[stage], stage)
        }
        let verify = try tlab(["verify", "--store", stores[1]], in: folder, environment: try postgres().environment)
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        XCTAssertEqual(try lineage.openSubmissions().count, 0, "the survivor closed the submission")
    }

    func testBadSharedStoresFailWithOneLineNamingWhatFailed() throws {
        let server = try postgres()
        let folder = try makeSmokeFolder()
        func attempt(_ yaml: String, password: String = server.password) throws -> String {
            try yaml.write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
            let result = try tlab(["run", "smoke.yaml", "--store", "bad.yaml"], in: folder, environment: ["PGPASSWORD": password])
            XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertFalse(result.stderr.contains(password), result.stderr)
            return result.stderr
        }
        let blobs = "blobs: \(folder.appendingPathComponent("b").path)\n"
        XCTAssertTrue(try attempt("lineage: postgresql://tlab@127.0.0.1:\(try freePort())/tlab\n" + blobs)
            .contains("cannot connect to the lineage database postgresql://tlab@127.0.0.1:"))
        let wrong = try attempt("lineage: \(server.connectionString())\n" + blobs, password: "wrong-secret-42")
        XCTAssertTrue(wrong.contains("password authentication failed"), wrong)
        XCTAssertTrue(try attempt("lineage: \(server.connectionString(database: "nope"))\n" + blobs)
            .contains(#"database "nope" does not exist"#))
        XCTAssertTrue(try attempt("lineage: postgresql://tlab:hunter2@127.0.0.1/tlab\n" + blobs).contains("PGPASSWORD"))
        XCTAssertTrue(try attempt("lineage: \(server.connectionString())\nblobs: gs://bucket/team\n")
            .contains("bad.yaml: 'blobs:' in gs:// storage is not supported; give an s3://bucket/prefix"))
        XCTAssertTrue(try attempt("lineage: \(server.connectionString())\nblob: /tmp/x\n").contains("did you mean 'blobs'?"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("b").path), "nothing created")
    }

    func testARunRidesOutTheServerStoppedForThirtySecondsMidFineTuneWithTheSameBits() throws {
        let server = try postgres()
        let folder = try makeSmokeFolder()
        let database = try freshDatabase()
        let store = try sharedStore(in: folder, database: database, machine: 0, blobs: folder.appendingPathComponent("shared-blobs"))
        let longer = ["-S", "variants.basic.epochs=16"]
        let run = try startTlab(["run", "smoke.yaml", "--store", store] + longer, in: folder, log: "patient")
        let deadline = Date().addingTimeInterval(240)
        while run.isRunning && !run.output.contains("finetune@basic: epoch 3/16") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertTrue(run.isRunning, run.output)
        try server.kill()
        Thread.sleep(forTimeInterval: 30)
        try server.restart()
        try run.finish(within: 300)
        XCTAssertEqual(run.status, 0, run.output)
        let waits = run.output.split(separator: "\n").filter { $0.hasPrefix("tlab: waiting for the lineage database") }
        XCTAssertEqual(waits.count, 1, run.output)
        XCTAssertTrue(waits.first?.hasSuffix("retrying for up to 5 min 0 s (--retry-budget)") ?? false, run.output)
        XCTAssertTrue(run.output.contains("tlab: the server answers again after"), run.output)
        XCTAssertFalse(run.output.contains("resuming from the checkpoint"), "the fine-tune went on, it did not restart: \(run.output)")

        let lineage = try LineageDatabase(postgres: server.connectionString(database: database))
        let local = try referenceRun(overrides: longer)
        // The report quotes each stage's time, which the outage lengthened; every other output is compared.
        for (stage, outputs) in local where !stage.hasPrefix("report") {
            let shared = try XCTUnwrap(lineage.latestStageRun(stage: stage), stage).outputs.filter { !$0.key.hasPrefix("checkpoint") }
            XCTAssertEqual(shared, outputs, stage)
        }
        try assertEachKeyComputedOnce(lineage, keys: 18)
    }

    func testARunWhoseServerStaysDownPastTheRetryBudgetFailsCleanlyAndTheNextRunResumes() throws {
        let server = try postgres()
        let folder = try makeSmokeFolder()
        let store = try sharedStore(in: folder, database: try freshDatabase(), machine: 0,
                                    blobs: folder.appendingPathComponent("shared-blobs"))
        let longer = ["-S", "variants.basic.epochs=16"]
        let run = try startTlab(["run", "smoke.yaml", "--store", store, "--retry-budget", "3"] + longer, in: folder, log: "doomed")
        let deadline = Date().addingTimeInterval(240)
        while run.isRunning && !run.output.contains("finetune@basic: epoch 3/16") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try server.kill()
        defer { try? server.restart() }
        try run.finish(within: 120)
        XCTAssertEqual(run.status, 1, run.output)
        let errors = run.output.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        XCTAssertEqual(errors.count, 1, run.output)
        XCTAssertTrue(errors.first?.contains("lineage database postgresql://tlab@") ?? false, run.output)
        XCTAssertTrue(errors.first?.contains("did not answer within the retry budget of 3 s") ?? false, run.output)

        try server.restart()
        let resumed = try tlab(["run", "smoke.yaml", "--store", store] + longer, in: folder, environment: server.environment)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("cached   pretrain"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("finetune@basic: resuming from the checkpoint after epoch"), resumed.stdout)
        let verify = try tlab(["verify", "--store", store], in: folder, environment: server.environment)
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    func testPushThenPullARunsLineageRoundTripsAndRepeatsAsANoOp() throws {
        let server = try postgres()
        let folder = try makeSmokeFolder()
        let database = try freshDatabase()
        let shared = try sharedStore(in: folder, database: database, machine: 0, blobs: folder.appendingPathComponent("shared-blobs"))
        let env = server.environment
        XCTAssertEqual(try tlab(["run", "smoke.yaml", "--store", "local", "--quiet"], in: folder).status, 0)
        let report = "reports/smoke/report.md"
        let pushed = try tlab(["push", report, "--store", "local", "--to", shared], in: folder, environment: env)
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        XCTAssertTrue(pushed.stdout.hasPrefix("pushed "), pushed.stdout)
        let again = try tlab(["push", report, "--store", "local", "--to", shared], in: folder, environment: env)
        XCTAssertTrue(again.stdout.hasPrefix("pushed 0 blobs (0 B), 0 runs, 0 stage runs, 0 artifacts"), again.stdout)
        let pulled = try tlab(["pull", "--all", "--store", "copy", "--from", shared], in: folder, environment: env)
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        let original = try String(contentsOf: folder.appendingPathComponent(report), encoding: .utf8)
        let rendered = try tlab(["report", "smoke.yaml", "--store", "copy", "--out", "copied/smoke"], in: folder)
        XCTAssertEqual(rendered.status, 0, rendered.stderr)
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("copied/smoke/report.md"), encoding: .utf8), original)
        XCTAssertEqual(try tlab(["verify", "--store", "copy"], in: folder).status, 0)
        let lineage = try tlab(["lineage", report, "--store", "copy"], in: folder)
        XCTAssertEqual(lineage.status, 0, lineage.stderr)
        XCTAssertTrue(lineage.stdout.contains("pretrain"), lineage.stdout)
    }

    // MARK: Helpers

    func makeSmokeFolder() throws -> URL {
        let folder = try makeScratchFolder()
        let smoke = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("pipelines/smoke.yaml")
        try FileManager.default.copyItem(at: smoke, to: folder.appendingPathComponent("smoke.yaml"))
        return folder
    }

    /// Every stage key computed exactly once in `lineage`, and `keys` of them.
    func assertEachKeyComputedOnce(_ lineage: LineageDatabase, keys: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        var computed: [String: Int] = [:]
        for run in try lineage.runs() {
            for stage in try lineage.stageRuns(ofRun: run.id!) where !stage.cacheHit && stage.status == .finished {
                computed[stage.key, default: 0] += 1
            }
        }
        XCTAssertEqual(computed.count, keys, "keys computed", file: file, line: line)
        XCTAssertEqual(computed.filter { $0.value > 1 }, [:], "keys computed more than once", file: file, line: line)
    }

    /// The outputs of every stage but the report (which shows measured seconds) equal those of a
    /// run on one machine.
    func assertOutputsMatchOneMachine(_ lineage: LineageDatabase, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try referenceRun(overrides: [])
        for (stage, outputs) in reference where !stage.hasPrefix("report") {
            let shared = try lineage.latestStageRun(stage: stage)?.outputs.filter { !$0.key.hasPrefix("checkpoint") }
            XCTAssertEqual(shared, outputs, stage, file: file, line: line)
        }
    }

    nonisolated(unsafe) static var references: [[String]: [String: [String: String]]] = [:]

    /// Stage name → outputs (checkpoints aside) of the smoke pipeline run alone on a local store.
    func referenceRun(overrides: [String]) throws -> [String: [String: String]] {
        if let known = Self.references[overrides] { return known }
        let folder = try makeSmokeFolder()
        let run = try tlab(["run", "smoke.yaml", "--store", "alone", "--quiet"] + overrides, in: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lineage = try LineageDatabase(path: folder.appendingPathComponent("alone/lineage.sqlite").path)
        var outputs: [String: [String: String]] = [:]
        for stage in try lineage.stageRuns(ofRun: 1) {
            outputs[stage.stage] = try lineage.stageRun(id: stage.id!)!.outputs.filter { !$0.key.hasPrefix("checkpoint") }
        }
        XCTAssertEqual(outputs.count, 20, "18 keys: three variants share one freeze")
        Self.references[overrides] = outputs
        return outputs
    }

    /// Starts `tlab arguments` in `folder` (on machine `machine` when there are namespaces), with
    /// the server's password in its environment, its output going to `<log>.log`.
    func startTlab(_ arguments: [String], in folder: URL, log: String, machine: Int? = nil,
                   environment extra: [String: String] = [:]) throws -> RunningTlab {
        let tlabPath = productsDirectory.appendingPathComponent("tlab").path
        var argv = [tlabPath] + arguments
        if let machine, let network = Self.network { argv = network.command(machine, argv) }
        var environment = ProcessInfo.processInfo.environment.filter { $0.key != "TLAB_STORE" }
        if case .success(let server)? = Self.server { environment.merge(server.environment) { $1 } }
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        return try RunningTlab(argv, in: folder, log: folder.appendingPathComponent("\(log).log"), environment: environment)
    }
}

/// A `tlab` process started in the background, its stdout and stderr in one log file.
final class RunningTlab {
    let process = Process()
    let log: URL

    init(_ argv: [String], in folder: URL, log: URL, environment: [String: String]) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.currentDirectoryURL = folder
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    var status: Int32 { process.terminationStatus }

    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Waits for the process to end; past `seconds` it is killed and the wait fails.
    func finish(within seconds: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill()
            process.waitUntilExit()
            XCTFail("tlab \(process.arguments ?? []) did not end within \(seconds) s:\n\(output)")
            return
        }
        process.waitUntilExit()
    }
}
