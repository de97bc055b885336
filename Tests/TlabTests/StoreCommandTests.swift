// runs, show and export on a small store written through the Store API: a download, a preprocess, a
// pretrain and a report stage, with tensor, raw and Markdown artifacts.
import Foundation
import Store
import XCTest

/// The artifacts of `makeLineageStore`, by what they are.
struct LineageStoreHashes {
    let archive: String
    let images: String
    let weights: String
    let report: String
    /// The report's Markdown as a run would have written it to reports/.
    let reportText: String
}

extension XCTestCase {
    /// A store in `folder/store` with one finished run: data → prep → pretrain → report.
    func makeLineageStore(in folder: URL) throws -> (StoreFixture, LineageStoreHashes) {
        let store = try StoreFixture(root: folder.appendingPathComponent("store"), pipeline: "fixture")
        let archive = try store.record(stage: "data", kind: "download", params: #"{"source":"synthetic"}"#,
                                       outputs: ["archive": (Data("raw images".utf8), .raw)])["archive"]!
        let images = try SafeTensors.encode(TensorArchive(tensors: [
            NamedTensor(name: "images", dtype: .u8, shape: [2, 2, 2], data: Data([0, 10, 20, 30, 40, 50, 60, 255])),
            NamedTensor(name: "labels", dtype: .i32, shape: [2], data: Data([1, 0, 0, 0, 3, 0, 0, 0])),
        ]))
        let prep = try store.record(stage: "prep", kind: "preprocess", params: #"{"per_class":20}"#,
                                    inputs: ["raw": archive], outputs: ["train": (images, .tensor)])["train"]!
        let weights = try SafeTensors.encode(TensorArchive(tensors: [
            NamedTensor(name: "w", dtype: .f32, shape: [2, 3], data: littleEndianBytes([0, 1, 2, 3, 4, 5])),
        ], metadata: ["format": "pt"]))
        let trained = try store.record(stage: "pretrain", kind: "pretrain", params: #"{"epochs":2,"lr":0.001}"#,
                                       inputs: ["data": prep], outputs: ["weights": (weights, .tensor)])["weights"]!
        let reportText = "# Report\n\n| variant | accuracy |\n|---|---|\n| basic | 0.9 |\n"
        let report = try store.record(stage: "report", kind: "report", inputs: ["evaluations": trained, "data": prep],
                                      outputs: ["markdown": (Data(reportText.utf8), .markdown)])["markdown"]!
        try store.finish()
        return (store, LineageStoreHashes(archive: archive, images: prep, weights: trained, report: report,
                                          reportText: reportText))
    }
}

final class StoreCommandTests: XCTestCase {
    func testRunsListsTheRunWithItsComputedStages() throws {
        let folder = try makeScratchFolder()
        _ = try makeLineageStore(in: folder)
        let text = try tlab(["runs", "--store", "store"], in: folder)
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, text.stdout)
        XCTAssertTrue(lines[0].hasPrefix("RUN  PIPELINE"), text.stdout)
        XCTAssertEqual(lines[1].split(separator: " ").prefix(3), ["1", "fixture", "finished"], text.stdout)
        XCTAssertEqual(lines[1].split(separator: " ").suffix(4), ["4", "0", "0", "-"], "no seeds: \(text.stdout)")

        let json = try tlab(["runs", "--json"], in: folder, environment: ["TLAB_STORE": "store"])
        let runs = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs[0]["computed"] as? Int, 4)
        XCTAssertEqual(runs[0]["cached"] as? Int, 0)
        XCTAssertEqual(runs[0]["pipeline"] as? String, "fixture")
    }

    func testShowListsTensorsWithTheirFigures() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let result = try tlab(["show", String(hashes.images.prefix(10)), "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("artifact  \(hashes.images)\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("made by   prep [preprocess], run 1"), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix("""

            TENSOR  DTYPE  SHAPE      MIN  MAX    MEAN
            images  U8     [2, 2, 2]    0  255  58.125
            labels  I32    [2]          1    3       2

            """), result.stdout)

        let json = try tlab(["show", hashes.weights, "--store", "store", "--json"], in: folder)
        let shown = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let tensor = (shown["tensors"] as! [[String: Any]])[0]
        let statistics = tensor["statistics"] as! [String: Any]
        XCTAssertEqual(tensor["shape"] as? [Int], [2, 3])
        XCTAssertEqual(statistics["min"] as? Double, 0)
        XCTAssertEqual(statistics["max"] as? Double, 5)
        XCTAssertEqual(statistics["mean"] as? Double, 2.5)
        XCTAssertEqual(shown["metadata"] as? [String: String], ["format": "pt"])
    }

    func testShowPrintsTextArtifactsAsTheyAre() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let result = try tlab(["show", hashes.report, "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasSuffix("\n\n" + hashes.reportText), result.stdout)
    }

    func testExportedSafetensorsReadBackEqual() throws {
        let folder = try makeScratchFolder()
        let (store, hashes) = try makeLineageStore(in: folder)
        let result = try tlab(["export", String(hashes.images.prefix(8)), "train.safetensors", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let exported = try Data(contentsOf: folder.appendingPathComponent("train.safetensors"))
        XCTAssertEqual(try SafeTensors.decode(exported), try store.blobs.readTensors(hashes.images))
        XCTAssertEqual(Digest.sha256Hex(exported), hashes.images)
    }

    func testExportedNpyMatchesNumPysBytes() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let result = try tlab(["export", hashes.weights, "w.npy", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        // np.save(arange(6, dtype='<f4').reshape(2, 3)): header length 118, data at byte 128.
        let npy = try Data(contentsOf: folder.appendingPathComponent("w.npy"))
        XCTAssertEqual(npy.count, 152)
        XCTAssertEqual(Array(npy.prefix(10)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00])
        let header = String(decoding: npy[10..<128], as: UTF8.self)
        XCTAssertEqual(header, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
            + String(repeating: " ", count: 58) + "\n")
        XCTAssertEqual(npy.suffix(24), littleEndianBytes([0, 1, 2, 3, 4, 5]))
    }

    func testNpyOfASeveralTensorArtifactNeedsAName() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let ambiguous = try tlab(["export", hashes.images, "x.npy", "--store", "store"], in: folder)
        XCTAssertEqual(ambiguous.status, 1)
        XCTAssertEqual(ambiguous.stderr, "error: artifact \(hashes.images.prefix(12)) holds 2 tensors; .npy takes one: "
            + "pick it with --tensor (one of images, labels) or export to .safetensors\n")

        let chosen = try tlab(["export", hashes.images, "labels.npy", "--tensor", "labels", "--store", "store"], in: folder)
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        let npy = try Data(contentsOf: folder.appendingPathComponent("labels.npy"))
        XCTAssertTrue(String(decoding: npy[10..<128], as: UTF8.self).hasPrefix("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"))
        XCTAssertEqual(npy.count, 128 + 8)
        XCTAssertEqual(npy.suffix(8), Data([1, 0, 0, 0, 3, 0, 0, 0]))
    }

    func testRawArtifactsExportByteForByte() throws {
        let folder = try makeScratchFolder()
        let (_, hashes) = try makeLineageStore(in: folder)
        let result = try tlab(["export", hashes.archive, "archive.bin", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("archive.bin")), Data("raw images".utf8))
    }
}
