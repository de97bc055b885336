// Image folders and sharded data sets through the built `tlab` binary, as a user meets them: a
// generated folder of PNG and JPEG files of every kind (bad ones included) runs end to end, its
// prepared shards are shown and exported without being read whole, and a data set many shards
// large trains in bounded memory to the same weights whatever the shard size or prefetch depth.
import Foundation
import Store
import XCTest

final class ImageFolderPipelineTests: XCTestCase {
    func testAGeneratedImageFolderRunsEndToEndAndItsShardsAreShownAndExported() throws {
        let folder = try makeScratchFolder()
        let sample = try tlab(["sample-images", "images", "--classes", "6", "--per-class", "50", "--min-side", "20",
                               "--max-side", "48", "--bad-files"], in: folder)
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertTrue(sample.stdout.hasPrefix("wrote 300 images in 6 class folders"), sample.stdout)
        let yaml = """
            name: folder
            seed: 5
            stages:
              data: { kind: download, params: { source: image-folder, path: images } }
              prep:
                kind: preprocess
                inputs: { raw: data }
                params: { source_classes: [0, 1, 2], target_classes: [3, 4, 5], resize: 24, skip_bad_images: true, shard_mib: 1 }
              pretrain: { kind: pretrain, inputs: { data: prep }, params: { depth: 7, growth: 4, blocks: 2, epochs: 1, batch: 32 } }
              freeze: { kind: freeze, inputs: { backbone: pretrain, data: prep } }
              finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { epochs: 2, batch: 16 } }
              evaluate: { kind: evaluate, inputs: { model: finetune, data: prep } }
              report: { kind: report, inputs: { evaluations: evaluate } }
            variants:
              basic: { init: pretrained }
              frozen: { freeze: backbone, head: study-frozen }

            """
        try yaml.write(to: folder.appendingPathComponent("folder.yaml"), atomically: true, encoding: .utf8)
        let first = try tlab(["run", "folder.yaml", "--store", "store"], in: folder)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("1 other files ignored (square/notes.txt)"), first.stdout)
        XCTAssertTrue(first.stdout.contains("skipped 2 unreadable images"), first.stdout)
        let report = try String(contentsOf: folder.appendingPathComponent("reports/folder/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## Data\n\n2 images of the image folder could not be decoded"), report)
        XCTAssertTrue(report.contains("- `square/corrupt.jpg`: corrupt JPEG data"), report)

        let again = try tlab(["run", "folder.yaml", "--store", "store"], in: folder)
        XCTAssertTrue(again.stdout.contains("0 computed"), again.stdout)

        let target = try XCTUnwrap(outputs(of: "prep", in: folder)["target"])
        let shown = try tlab(["show", String(target.prefix(12)), "--store", "store"], in: folder)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("train_images       U8     ["), shown.stdout)
        XCTAssertTrue(shown.stdout.contains(", 3, 24, 24]"), shown.stdout)
        let exported = try tlab(["export", String(target.prefix(12)), "test.npy", "--tensor", "test_images", "--store", "store"], in: folder)
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let npy = try Data(contentsOf: folder.appendingPathComponent("test.npy"))
        let header = String(decoding: npy.prefix(128), as: UTF8.self)
        let count = try XCTUnwrap(header.components(separatedBy: "'shape': (").last?.split(separator: ",").first.flatMap { Int($0) })
        XCTAssertEqual(npy.count, 128 + count * 3 * 24 * 24, "header, then every shard's bytes")
        let unnamed = try tlab(["export", String(target.prefix(12)), "all.npy", "--store", "store"], in: folder)
        XCTAssertEqual(unnamed.status, 1)
        XCTAssertTrue(unnamed.stderr.contains("is a sharded data set of 6 tensors; .npy takes one: pick it with --tensor"), unnamed.stderr)
    }

    func testManyShardsTrainInBoundedMemoryToTheWeightsOfOneShard() throws {
        // 12,000 synthetic 32×32 images: the target task's float images alone would be 74 MB, its
        // features 31 MB more. Shards of 1 MiB, unpacked to scratch files (no data held in memory) and
        // read without prefetch, against one shard unpacked into memory and prefetched.
        func yaml(_ shardMiB: Int) -> String {
            """
            name: sharded
            seed: 1
            stages:
              data: { kind: download, params: { source: synthetic, images: 12000, image_size: 32, shard_mib: \(shardMiB) } }
              prep:
                kind: preprocess
                inputs: { raw: data }
                params: { source_classes: [0, 1, 2, 3, 4], target_classes: [5, 6, 7, 8, 9], shard_mib: \(shardMiB) }
              pretrain: { kind: pretrain, inputs: { data: prep }, params: { depth: 7, growth: 2, blocks: 2, epochs: 0 } }
              freeze: { kind: freeze, inputs: { backbone: pretrain, data: prep }, params: { freeze: backbone, shard_mib: \(shardMiB), batch: 256 } }
              finetune: { kind: fine-tune, inputs: { backbone: freeze, data: prep }, params: { head: study-frozen, epochs: 2, batch: 128 } }
              evaluate: { kind: evaluate, inputs: { model: finetune, data: prep } }

            """
        }
        let folder = try makeScratchFolder()
        try yaml(1).write(to: folder.appendingPathComponent("small.yaml"), atomically: true, encoding: .utf8)
        try yaml(64).write(to: folder.appendingPathComponent("large.yaml"), atomically: true, encoding: .utf8)
        let timed = try tlabPeakMemory(["run", "small.yaml", "--store", "small", "--quiet"], in: folder, environment: ["TLAB_PREFETCH": "0", "TLAB_DATA_MEMORY_MIB": "0"])
        XCTAssertEqual(timed.result.status, 0, timed.result.stderr)
        let large = try tlab(["run", "large.yaml", "--store", "large", "--quiet"], in: folder)
        XCTAssertEqual(large.status, 0, large.stderr)
        let features = try XCTUnwrap(outputs(of: "freeze", in: folder, store: "small").keys.filter { $0.hasPrefix("features.train.0") }.count)
        XCTAssertGreaterThan(features, 10, "the features really are in many shards")
        for stage in ["finetune", "evaluate"] {
            let small = try outputs(of: stage, in: folder, store: "small"), large = try outputs(of: stage, in: folder, store: "large")
            XCTAssertEqual(small, large, "\(stage): shard size and prefetch change no bit of what is learnt")
        }
        // Holding the data sets would take 74 + 31 MB beyond the process itself (about 60 MB);
        // streaming them keeps the whole run under 130 MB (main's in-memory path peaked at about 200 MB).
        XCTAssertLessThan(timed.peakKiB, 130 * 1024, "peak resident memory \(timed.peakKiB) KiB")
        print("sharded run: peak resident memory \(timed.peakKiB / 1024) MiB")
    }
}

extension XCTestCase {
    /// Runs `tlab` under `/usr/bin/time` and returns its result and peak resident memory in KiB.
    func tlabPeakMemory(_ arguments: [String], in folder: URL,
                        environment: [String: String] = [:]) throws -> (result: TlabResult, peakKiB: Int) {
        let report = folder.appendingPathComponent(".peak-\(UUID().uuidString)")
        let tlabPath = productsDirectory.appendingPathComponent("tlab").path
        let result = try tlab(arguments, in: folder, environment: environment, executable: "/usr/bin/time",
                              prefix: ["-f", "%M", "-o", report.path, tlabPath])
        let text = try String(contentsOf: report, encoding: .utf8)
        return (result, try XCTUnwrap(Int(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "")))
    }
}
