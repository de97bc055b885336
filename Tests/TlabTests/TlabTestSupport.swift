// Running the built `tlab` binary as a user would, in a scratch folder, and building small stores
// through the Store API for the store commands to read.
import Foundation
import Store
import XCTest

/// What one `tlab` invocation did.
struct TlabResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

extension XCTestCase {
    /// The folder `swift build` put the products in: the test bundle lives beside `tlab`.
    var productsDirectory: URL {
        let bundle = Bundle(for: TlabBinaryTests.self).bundleURL
        return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    }

    /// A fresh empty folder, deleted when the test ends.
    func makeScratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-cli-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock {
            // Blobs are read-only; make them writable so the folder can go.
            _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", url.path]).waitUntilExit()
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }

    /// Runs `tlab arguments` in `folder` with colour off and no TLAB_STORE from the caller's shell
    /// (through `executable` with `prefix` arguments before tlab's, for a wrapper such as /usr/bin/time).
    @discardableResult
    func tlab(_ arguments: [String], in folder: URL, environment extra: [String: String] = [:],
              executable: String? = nil, prefix: [String] = []) throws -> TlabResult {
        let process = Process()
        process.executableURL = executable.map(URL.init(fileURLWithPath:)) ?? productsDirectory.appendingPathComponent("tlab")
        process.arguments = prefix + arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TLAB_STORE")
        environment["NO_COLOR"] = "1"
        process.environment = environment.merging(extra) { $1 }
        // Files rather than pipes: neither stream can fill up and stall the child.
        let outURL = folder.appendingPathComponent(".tlab-stdout-\(UUID().uuidString)")
        let errURL = folder.appendingPathComponent(".tlab-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return TlabResult(status: process.terminationStatus,
                          stdout: try String(contentsOf: outURL, encoding: .utf8),
                          stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}

/// A store written through the Store API the way runs write it: blobs first, then one finished
/// stage run per `record` call, all inside one finished run.
final class StoreFixture {
    let root: URL
    let blobs: BlobStore
    let lineage: LineageDatabase
    let runID: Int64

    /// A store at `root` (the folder `--store` names) holding one started run of `pipeline`.
    init(root: URL, pipeline: String = "fixture") throws {
        self.root = root
        blobs = try BlobStore.open(root: root)
        lineage = try LineageDatabase(path: root.appendingPathComponent("lineage.sqlite").path)
        runID = try lineage.startRun(pipeline: pipeline, pipelineHash: String(repeating: "0", count: 64), seed: 7,
                                     toolVersion: "test").id!
    }

    /// Stores `outputs` and records a finished stage run that read `inputs` and wrote them.
    /// Returns the output hashes by port name.
    @discardableResult
    func record(stage: String, kind: String, params: String = "{}", inputs: [String: String] = [:],
                outputs: [String: (Data, MediaType)], material: String? = nil, metrics: [MetricPoint] = []) throws -> [String: String] {
        let stageRun = try lineage.startStageRun(runID: runID, key: Digest.sha256Hex(Data((stage + params).utf8)),
                                                 stage: stage, kind: kind, params: params, material: material)
        var records = [String: ArtifactRecord]()
        for (port, (bytes, mediaType)) in outputs {
            records[port] = ArtifactRecord(blob: try blobs.put(bytes), mediaType: mediaType)
        }
        try lineage.finishStageRun(stageRun.id!, inputs: inputs, outputs: records, metrics: metrics, seconds: 0.25)
        return records.mapValues(\.hash)
    }

    func finish() throws {
        try lineage.finishRun(runID, status: .finished)
    }
}

/// Little-endian bytes of `values`, as safetensors and .npy store them.
func littleEndianBytes(_ values: [Float]) -> Data {
    var data = Data()
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    return data
}
