// Every user mistake gets one line on stderr saying what is wrong and what to do, and exit 1 or 2.
import Foundation
import Store
import XCTest

final class UserMistakeTests: XCTestCase {
    func testAFolderThatIsNotAStore() throws {
        let folder = try makeScratchFolder()
        try Data("notes".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let result = try tlab(["runs", "--store", "."], in: folder)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "error: \(folder.standardizedFileURL.path) is not an artifact store (it has no blobs/ folder); "
            + "pass --store (or set TLAB_STORE) to a folder 'tlab run' has written to\n")

        let missing = try tlab(["verify"], in: folder)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasSuffix("/artifacts is not an artifact store (the folder does not exist); "
            + "pass --store (or set TLAB_STORE) to a folder 'tlab run' has written to\n"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("artifacts").path),
                       "a reading command never creates a store")
    }

    func testAStoreFileWhoseValuesHoldSecretsIsRefusedWithoutPrintingThem() throws {
        let folder = try makeScratchFolder()
        let files = [
            "scheme.yaml": "lineage: postgresq://tlab:hunter2@127.0.0.1/tlab\nblobs: blobs\n",
            "escape.yaml": "lineage: postgresql://tlab:hunter2%zz@127.0.0.1/tlab\nblobs: blobs\n",
            "query.yaml": "lineage: postgresq://tlab@127.0.0.1/tlab?password=hunter2\nblobs: blobs\n",
            "s3.yaml": "lineage: host=127.0.0.1 port=9 user=tlab dbname=tlab connect_timeout=1\nblobs: s3://AKIA:hunter2@bucket/team\n",
            "yaml.yaml": "lineage: postgresql://tlab:hunter2@127.0.0.1/tlab\n  blobs: [\n",
        ]
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            let result = try tlab(["runs", "--store", name], in: folder,
                                  environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
            XCTAssertNotEqual(result.status, 0, name)
            XCTAssertFalse((result.stdout + result.stderr).contains("hunter2"), "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("error: "), "\(name): \(result.stderr)")
        }
    }

    func testUnknownAndAmbiguousHashPrefixes() throws {
        let folder = try makeScratchFolder()
        let store = try StoreFixture(root: folder.appendingPathComponent("store"))
        // 17 artifacts: two of them share a first hex digit.
        var hashes = [String]()
        for i in 0..<17 {
            hashes.append(try store.record(stage: "s\(i)", kind: "download", outputs: ["out": (Data("\(i)".utf8), .json)])["out"]!)
        }
        let digit = Dictionary(grouping: hashes, by: { $0.prefix(1) }).first { $0.value.count > 1 }!
        let ambiguous = try tlab(["show", String(digit.key), "--store", "store"], in: folder)
        XCTAssertEqual(ambiguous.status, 1)
        XCTAssertEqual(ambiguous.stderr, "error: '\(digit.key)' matches several artifacts; give more digits. Candidates: "
            + digit.value.sorted().joined(separator: ", ") + "\n")

        let unknownDigits = Set("0123456789abcdef").subtracting(hashes.map { $0.first! })
        let absent = unknownDigits.isEmpty ? String(hashes[0].prefix(10).reversed()) : String(unknownDigits.first!)
        let unknown = try tlab(["export", absent, "x.bin", "--store", "store"], in: folder)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("error: no artifact hash starts with '\(absent)'"), unknown.stderr)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1)
    }

    func testUnknownLineageTarget() throws {
        let folder = try makeScratchFolder()
        _ = try makeLineageStore(in: folder)
        let result = try tlab(["lineage", "finetune@nothing", "--store", "store"], in: folder)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "error: 'finetune@nothing' is not a file, a stage name or an artifact hash prefix in "
            + "this store; 'tlab runs' and 'tlab status' show what it holds\n")

        try Data("edited".utf8).write(to: folder.appendingPathComponent("report.md"))
        let edited = try tlab(["lineage", "report.md", "--store", "store"], in: folder)
        XCTAssertEqual(edited.status, 1)
        XCTAssertTrue(edited.stderr.hasPrefix("error: report.md (sha256 "), edited.stderr)
        XCTAssertTrue(edited.stderr.hasSuffix("is not an artifact of this store; it was edited since it was written, "
            + "or another store (--store) wrote it\n"), edited.stderr)
    }

    func testMissingPipelineFileAndValidationErrors() throws {
        let folder = try makeScratchFolder()
        let missing = try tlab(["dag", "nope.yaml"], in: folder)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: no pipeline file at nope.yaml; give the path of a pipeline .yaml file\n")

        try "name: broken\nseed: 1\nstages:\n  data: { kind: downlod }\n"
            .write(to: folder.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let invalid = try tlab(["dag", "broken.yaml"], in: folder)
        XCTAssertEqual(invalid.status, 1)
        XCTAssertTrue(invalid.stderr.hasPrefix("error: broken.yaml:4:17: unknown stage kind 'downlod' (did you mean 'download'?)"),
                      invalid.stderr)
        XCTAssertFalse(invalid.stderr.contains("Fatal error"), invalid.stderr)
    }

    func testAPipelineNameThatIsAPathIsRefusedBeforeAnythingIsWritten() throws {
        let folder = try makePipelineFolder()
        try tinyPipeline.replacingOccurrences(of: "name: tiny", with: "name: \"../../escape\"")
            .write(to: folder.appendingPathComponent("escape.yaml"), atomically: true, encoding: .utf8)
        let run = try tlab(["run", "escape.yaml", "--store", "store"], in: folder)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("error: escape.yaml:1:7: '../../escape' is not a valid name; use letters, digits, '_' and '-'"),
                      run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("store").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("escape").path))
        let report = try tlab(["report", "escape.yaml", "--store", "store"], in: folder)
        XCTAssertEqual(report.status, 1, report.stdout)
    }

    func testUnknownForcedStageAndRun() throws {
        let folder = try makePipelineFolder()
        let force = try tlab(["run", "tiny.yaml", "--store", "store", "--force", "finetune@basics"], in: folder)
        XCTAssertEqual(force.status, 1)
        XCTAssertEqual(force.stderr, "error: no stage 'finetune@basics' (did you mean 'finetune@basic'?); stages: data, prep, "
            + "pretrain, freeze@basic, finetune@basic, evaluate@basic, freeze@frozen, finetune@frozen, evaluate@frozen, report\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("store").path),
                       "nothing ran")

        let noReport = try tlab(["report", "tiny.yaml", "--store", "store"], in: folder)
        XCTAssertEqual(noReport.status, 1)
        XCTAssertTrue(noReport.stderr.hasPrefix("error: \(folder.appendingPathComponent("store").standardizedFileURL.path) "
            + "is not an artifact store (the folder does not exist)"), noReport.stderr)

        _ = try StoreFixture(root: folder.appendingPathComponent("store"))
        let unknownRun = try tlab(["report", "tiny.yaml", "--store", "store", "--run", "9"], in: folder)
        XCTAssertEqual(unknownRun.status, 1)
        XCTAssertEqual(unknownRun.stderr, "error: no run 9 in this store; the newest is run 1 ('tlab runs' lists them)\n")
        let jobs = try tlab(["run", "tiny.yaml", "--jobs", "0"], in: folder)
        XCTAssertEqual(jobs.status, 2)
        XCTAssertEqual(jobs.stderr, "error: --jobs must be at least 1, not 0 (see 'tlab run --help')\n")
    }
}
