// Importing weights the way a PyTorch user saves them (`save_file(model.state_dict())`): int64
// `num_batches_tracked` counters and a 1000-class classifier beside the backbone, served over HTTP
// without a checksum in the pipeline file, so the first run pins what it fetched.
import Foundation
import Store
import TestSupport
import XCTest

final class WeightsImportTests: XCTestCase {
    private var server: HTTPFixtureServer?

    override func tearDown() {
        server?.stop()
    }

    /// Serves `folder` at `http://127.0.0.1:PORT/files/NAME` with the download tests' fixture server.
    private func serve(_ folder: URL) throws -> Int {
        let started = try HTTPFixtureServer(serving: folder.path)
        server = started
        return started.port
    }

    /// `weights` as `torch.save_file(model.state_dict())` writes a torchvision DenseNet: every
    /// BatchNorm with an I64 `num_batches_tracked` scalar, and an ImageNet classifier.
    private func stateDict(from weights: TensorArchive) throws -> Data {
        var tensors = weights.tensors
        for bn in weights.tensors where bn.name.hasSuffix(".running_mean") {
            let counter = String(bn.name.dropLast(".running_mean".count)) + ".num_batches_tracked"
            tensors.append(NamedTensor(name: counter, dtype: .i64, shape: [],
                                       data: withUnsafeBytes(of: Int64(1234).littleEndian) { Data($0) }))
        }
        let features = try XCTUnwrap(weights.tensors.first { $0.name == "features.norm5.weight" }).shape[0]
        tensors.append(NamedTensor(name: "classifier.weight", dtype: .f32, shape: [1000, features],
                                   data: Data(count: 1000 * features * 4)))
        tensors.append(NamedTensor(name: "classifier.bias", dtype: .f32, shape: [1000], data: Data(count: 4000)))
        return try SafeTensors.encode(TensorArchive(tensors: tensors, metadata: ["format": "pt"]))
    }

    func testAStateDictServedWithoutAChecksumImportsAndIsPinnedOnFirstUse() throws {
        let folder = try makePipelineFolder()
        let trained = try tlab(["run", "tiny.yaml", "--store", "store", "--quiet"], in: folder)
        XCTAssertEqual(trained.status, 0, trained.stdout + trained.stderr)
        let weights = try XCTUnwrap(outputs(of: "pretrain", in: folder)["weights"])
        let exported = folder.appendingPathComponent("backbone.safetensors")
        XCTAssertEqual(try tlab(["export", weights, exported.path, "--store", "store"], in: folder).status, 0)

        let served = folder.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let file = try stateDict(from: SafeTensors.decode(Data(contentsOf: exported)))
        try file.write(to: served.appendingPathComponent("model.safetensors"))
        let port = try serve(served)
        let pipeline = tinyPipeline
            .replacingOccurrences(of: "name: tiny", with: "name: imported")
            .replacingOccurrences(of: "params: { depth: 7, growth: 4, blocks: 2, epochs: 1, batch: 32 }", with: """
                params: { depth: 7, growth: 4, blocks: 2, weights: "http://127.0.0.1:\(port)/files/model.safetensors" }
                """)
        XCTAssertTrue(pipeline.contains("/files/model.safetensors"), "the pretrain line of tinyPipeline changed")
        try pipeline.write(to: folder.appendingPathComponent("imported.yaml"), atomically: true, encoding: .utf8)

        let run = try tlab(["run", "imported.yaml", "--store", "imported"], in: folder)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let sha256 = Digest.sha256Hex(file)
        XCTAssertTrue(run.stdout.contains("pinned on first use to sha256:\(sha256)"), run.stdout)
        let imported = try outputs(of: "pretrain", in: folder, store: "imported")
        XCTAssertEqual(imported["weights"], weights, "the import is exact: the same backbone tensors, bit for bit")
        XCTAssertNotNil(imported["pinned_source"])

        let status = try tlab(["status", "imported.yaml", "--store", "imported"], in: folder)
        let row = try XCTUnwrap(status.stdout.split(separator: "\n").first { $0.hasPrefix("cached  pretrain ") })
        XCTAssertTrue(row.hasSuffix("pinned on first use to sha256:\(sha256) (http://127.0.0.1:\(port)/files/model.safetensors)"),
                      String(row))

        // With the hash copied into the file the key changes and the weights are fetched again: a URL
        // now announcing more than the pinned size is refused before a byte is fetched, naming both.
        let huge = "http://127.0.0.1:\(port)/huge/model.safetensors"
        try pipeline.replacingOccurrences(of: "\"http://127.0.0.1:\(port)/files/model.safetensors\"",
                                          with: "\"\(huge)\", weights_sha256: \(sha256)")
            .write(to: folder.appendingPathComponent("copied.yaml"), atomically: true, encoding: .utf8)
        let started = Date()
        let refused = try tlab(["run", "copied.yaml", "--store", "imported"], in: folder)
        XCTAssertEqual(refused.status, 1, refused.stdout + refused.stderr)
        XCTAssertTrue((refused.stdout + refused.stderr).contains("\(huge) announces 1099511627776 bytes, but the file its"
                                                                 + " checksum pins had \(file.count) bytes when it was pinned"),
                      refused.stdout + refused.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60, "refused at once, not after fetching and retrying")

        server?.stop()
        let again = try tlab(["run", "imported.yaml", "--store", "imported", "--quiet"], in: folder)
        XCTAssertEqual(again.status, 0, "the pinned weights are reused without the server: \(again.stderr)")
        XCTAssertTrue(again.stdout.contains("0 computed, 10 cached"), again.stdout)
    }
}
