// Image folders from disk to prepared shards: class folders or a labels CSV, local or archived
// (.tar.gz, .zip, at a URL), a test folder or a seeded stratified test split, bad files skipped
// and listed or reported by name, and keys that follow the content of every file.
@testable import Datasets
import Foundation
@testable import Pipeline
import Store
import XCTest
import TestSupport

final class ImageFolderTests: XCTestCase {
    /// A sample folder: 3 classes × 10 images of every kind, optionally with the bad files.
    private func folder(badFiles: Bool = false, perClass: Int = 10) throws -> String {
        let path = try makeTemporaryDirectory(self) + "/images"
        try SampleImageFolder.write(to: path, classes: 3, perClass: perClass, minSide: 16, maxSide: 40, seed: 4, badFiles: badFiles)
        return path
    }

    private func pipeline(_ download: String, prep: String = "resize: 20, skip_bad_images: true") -> String {
        """
        name: folder-test
        stages:
          data: { kind: download, params: { source: image-folder, \(download) } }
          prep: { kind: preprocess, inputs: { raw: data }, params: { \(prep) } }

        """
    }

    private func manifest(_ summary: RunSummary, store: PipelineStore) throws -> ImageFolderManifest {
        try ImageFolderManifest.decode(store.blobs.read(XCTUnwrap(outputs(of: "data", inRun: summary.runID, store: store)["images"])))
    }

    private func messages(_ log: EventLog, of stage: String) -> [String] {
        log.all.compactMap { if case let .message(s?, text) = $0, s == stage { return text } else { return nil } }
    }

    private func failure(_ summary: RunSummary, _ stage: String) -> String? {
        summary.stages.first { $0.name == stage }.flatMap { if case let .failed(error) = $0.state { return error } else { return nil } }
    }

    func testClassFoldersAreSortedListedRecursivelyAndSplitByClass() throws {
        let root = try folder(badFiles: true)
        try FileManager.default.createDirectory(atPath: root + "/disc/nested", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/disc/0000-rgbJPEG.jpg", toPath: root + "/disc/nested/extra.jpg")
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/.DS_Store"))
        try Data("readme".utf8).write(to: URL(fileURLWithPath: root + "/README.md"))
        let listing = try ImageFolderListing.classFolders(of: root)
        XCTAssertEqual(listing.classNames, ["disc", "frame", "square"], "code-point order, as Python sorts")
        XCTAssertEqual(listing.files.filter { $0.label == 0 }.count, 11, "nested folders belong to their class")
        XCTAssertTrue(listing.files.contains(ImageFolderListing.File(path: "disc/nested/extra.jpg", label: 0)))
        XCTAssertEqual(listing.ignored, ["README.md", "square/notes.txt"], "hidden files are not even counted")

        let store = try makeExecutionStore()
        let (summary, log) = try run(pipeline("path: \"\(root)\"", prep: "resize: 20, skip_bad_images: true"), store: store)
        XCTAssertEqual(summary.computed, ["data", "prep"], "\(summary.stages)")
        let packed = try manifest(summary, store: store)
        XCTAssertEqual(packed.classNames, ["disc", "frame", "square"])
        // 20 % of each class held out: 11 → 2, 12 (with the two bad files) → 2, 10 → 2.
        XCTAssertEqual(packed.splits["test"]?.map(\.label), [0, 0, 1, 1, 2, 2])
        XCTAssertEqual(packed.splits["train"]?.count, 33 - 6)
        XCTAssertEqual(packed.ignoredCount, 2)
        XCTAssertTrue(messages(log, of: "data").contains { $0.contains("2 other files ignored (README.md, square/notes.txt)") })
        let info = try decodeJSON(PreparedDataInfo.self, from: store.blobs.read(XCTUnwrap(outputs(of: "prep", inRun: summary.runID, store: store)["info"])))
        XCTAssertEqual(info.targetClasses, ["disc", "frame", "square"], "no target_classes: every class")
        XCTAssertEqual(info.imageShape, [3, 20, 20])
        XCTAssertEqual(info.skippedImages?.map(\.file).sorted(), ["square/corrupt.jpg", "square/truncated.png"])
        XCTAssertTrue(info.skippedImages?.first { $0.file == "square/truncated.png" }?.reason.contains("truncated PNG") ?? false)
    }

    func testABadImageFailsPreprocessByNameUnlessSkipped() throws {
        let store = try makeExecutionStore()
        let (summary, _) = try run(pipeline("path: \"\(try folder(badFiles: true))\"", prep: "resize: 20"), store: store)
        let error = try XCTUnwrap(failure(summary, "prep"))
        // Training images decode first; whichever bad file comes first in data set order is named.
        XCTAssertTrue(error.hasPrefix("square/corrupt.jpg: corrupt JPEG data") || error.hasPrefix("square/truncated.png: truncated PNG file"), error)
        XCTAssertTrue(error.contains("set skip_bad_images: true"), error)
    }

    func testEachFolderMistakeIsNamed() throws {
        let root = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try ImageFolderListing.classFolders(of: root)) {
            XCTAssertEqual($0 as? ImageFolderError, .noClassFolders(root: root, ignored: 0))
        }
        try FileManager.default.createDirectory(atPath: root + "/cats", withIntermediateDirectories: true)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: root + "/cats/list.txt"))
        XCTAssertThrowsError(try ImageFolderListing.classFolders(of: root)) {
            XCTAssertEqual("\($0)", "class folder \(root)/cats holds no images (.png, .jpg, .jpeg), only 1 other files; add images or remove the folder")
        }
        try SampleImageFolder.encode(SampleImageFolder.upright(of: 0, width: 16, height: 16, random: .init(seed: 1)), as: .rgbPNG,
                                     orientation: .upright).write(to: URL(fileURLWithPath: root + "/cats/a.png"))
        XCTAssertThrowsError(try ImageFolderListing.classFolders(of: root)) {
            XCTAssertEqual($0 as? ImageFolderError, .singleClass(root: root, className: "cats"))
        }
        XCTAssertThrowsError(try ImageFolderListing.classFolders(of: root + "/missing")) {
            guard case .unreadableFolder(let path, _)? = $0 as? ImageFolderError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, root + "/missing")
        }
        // Through a pipeline: a path that is neither folder nor archive, and one that does not exist.
        let store = try makeExecutionStore()
        let (missing, _) = try run(pipeline("path: \"\(root)/nothing-here\""), store: store)
        XCTAssertEqual(failure(missing, "data"), "\(root)/nothing-here does not exist; image-folder reads a folder of class folders, or a .tar, .tar.gz or .zip of one")
        let (noPath, _) = try run(pipeline("test_fraction: 0.5"), store: store)
        XCTAssertTrue(failure(noPath, "data")?.contains("neither path nor url") ?? false)
    }

    func testMixedSizesWithoutADeclaredSizeAreAnErrorThatSaysWhatToSet() throws {
        let store = try makeExecutionStore()
        let (summary, _) = try run(pipeline("path: \"\(try folder())\"", prep: "resize: 0"), store: store)
        let error = try XCTUnwrap(failure(summary, "prep"))
        XCTAssertTrue(error.contains("set resize: N in the preprocess stage"), error)
    }

    func testALabelsCSVNamesTheClassesAndAMissingFileIsAnErrorWithItsLine() throws {
        let root = try folder()
        let csv = """
            file,label
            disc/0000-rgbJPEG.jpg,10
            "frame/0001-rgbPNG.png",2
            square/0002-grayPNG.png,2
            disc/0003-rgbaPNG.png,10

            """
        try csv.write(toFile: root + "/labels.csv", atomically: true, encoding: .utf8)
        let listing = try ImageFolderListing.labelled(root, by: LabelsCSV(csv, name: "labels.csv"), labelsName: "labels.csv")
        XCTAssertEqual(listing.classNames, ["2", "10"], "integer labels sort as numbers")
        XCTAssertEqual(listing.files.map(\.label), [0, 0, 1, 1])
        XCTAssertEqual(listing.files.map(\.path), ["frame/0001-rgbPNG.png", "square/0002-grayPNG.png", "disc/0000-rgbJPEG.jpg", "disc/0003-rgbaPNG.png"])
        XCTAssertEqual(listing.ignored.count, 30 - 4 + 1, "unlisted images and the CSV itself")
        XCTAssertThrowsError(try LabelsCSV("a.png,x\nb.png\n", name: "l.csv")) { XCTAssertEqual("\($0)", "l.csv:2: has 1 fields; each line is file,label") }
        XCTAssertThrowsError(try LabelsCSV("a.png,x\na.png,y\n", name: "l.csv")) { XCTAssertEqual("\($0)", "l.csv:2: lists a.png again (first on line 1)") }
        XCTAssertThrowsError(try ImageFolderListing.labelled(root, by: LabelsCSV("disc/none.png,a\ndisc/0000-rgbJPEG.jpg,b\n", name: "l.csv"), labelsName: "l.csv")) {
            XCTAssertEqual($0 as? ImageFolderError, .missingListedFile(labels: "l.csv", file: "disc/none.png", root: root))
        }
        let store = try makeExecutionStore()
        let (summary, _) = try run(pipeline("path: \"\(root)\", labels: labels.csv, test_fraction: 0.5"), store: store)
        XCTAssertEqual(try manifest(summary, store: store).classNames, ["2", "10"])
    }

    func testKeysFollowContentEditRenameAndTouchButNotTheClock() throws {
        let root = try folder()
        let store = try makeExecutionStore()
        let yaml = pipeline("path: \"\(root)\"")
        XCTAssertEqual(try run(yaml, store: store).summary.computed, ["data", "prep"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: FileHashCache.location(inStore: store.root).path), "hashes remembered")
        XCTAssertEqual(try run(yaml, store: store).summary.computed, [], "nothing changed")

        // Same bytes, new modification time: hashed again, same key.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: root + "/frame/0000-rgbJPEG.jpg")
        XCTAssertEqual(try run(yaml, store: store).summary.computed, [])

        // One image edited: the download and the preprocessing run again.
        let edited = root + "/frame/0001-rgbPNG.png"
        try SampleImageFolder.encode(SampleImageFolder.upright(of: 1, width: 20, height: 20, random: .init(seed: 99)), as: .rgbPNG,
                                     orientation: .upright).write(to: URL(fileURLWithPath: edited))
        let (afterEdit, log) = try run(yaml, store: store)
        XCTAssertEqual(afterEdit.computed, ["data", "prep"])
        XCTAssertTrue(log.all.contains { if case let .stageStarted("data", _, reason) = $0 { return reason.contains("the local files it reads changed") } else { return false } })

        // A class folder renamed: new class names, never the stale data.
        try FileManager.default.moveItem(atPath: root + "/square", toPath: root + "/box")
        let (afterRename, _) = try run(yaml, store: store)
        XCTAssertEqual(afterRename.computed, ["data", "prep"])
        XCTAssertEqual(try manifest(afterRename, store: store).classNames, ["box", "disc", "frame"])
    }

    func testArchivesAndServedArchivesGiveTheFolderItself() throws {
        let root = try folder()
        let parent = (root as NSString).deletingLastPathComponent
        try runTool("/bin/tar", ["czf", parent + "/images.tar.gz", "-C", parent, "images"])
        try runTool("/usr/bin/python3", ["-c", "import shutil; shutil.make_archive('\(parent)/images', 'zip', '\(parent)', 'images')"])
        let store = try makeExecutionStore()
        let reference = try manifest(try run(pipeline("path: \"\(root)\""), store: store).summary, store: store)
        for archive in ["images.tar.gz", "images.zip"] {
            let (summary, log) = try run(pipeline("path: \"\(parent)/\(archive)\""), store: store)
            XCTAssertEqual(try manifest(summary, store: store), reference, archive)
            XCTAssertEqual(summary.computed.first, "data")
            XCTAssertTrue(messages(log, of: "data").contains("unpacked 30 files from \(archive)"))
        }
        let sha256 = try FileHashCache.hashFile(parent + "/images.zip")
        let (badLocal, _) = try run(pipeline("path: \"\(parent)/images.zip\", sha256: \(String(repeating: "1", count: 64))"), store: store)
        XCTAssertTrue(failure(badLocal, "data")?.contains("images.zip has checksum sha256:\(sha256), expected sha256:111") ?? false,
                      "a checksum given for a local archive is checked: \(badLocal.stages)")
        let served = try serveFolder(parent)
        let (summary, _) = try run(pipeline("url: \"\(served)images.zip\", sha256: \(sha256)"), store: store)
        XCTAssertEqual(try manifest(summary, store: store), reference, "fetched, verified, unpacked")
        let (wrong, _) = try run(pipeline("url: \"\(served)images.zip\", sha256: \(String(repeating: "0", count: 64))"), store: store)
        XCTAssertTrue(failure(wrong, "data")?.contains("has checksum sha256:\(sha256)") ?? false, "\(wrong.stages)")
    }

    /// The archive is unpacked, not stored, so its size is recorded beside the images: the next fetch
    /// of the same checksum is capped at it, as a url download's stored file caps its next fetch.
    func testAServedArchiveRecordsItsSizeForTheNextFetch() throws {
        let root = try folder()
        let parent = (root as NSString).deletingLastPathComponent
        try runTool("/bin/tar", ["czf", parent + "/images.tar.gz", "-C", parent, "images"])
        let sha256 = try FileHashCache.hashFile(parent + "/images.tar.gz")
        let bytes = try FileManager.default.attributesOfItem(atPath: parent + "/images.tar.gz")[.size] as! Int
        let store = try makeExecutionStore()
        let checksum = try Checksum(.sha256, sha256)
        XCTAssertNil(PinnedSource.recordedBytes(of: checksum, in: store))
        let (summary, _) = try run(pipeline("url: \"\(try serveFolder(parent))images.tar.gz\", sha256: \(sha256)"), store: store)
        XCTAssertEqual(summary.computed.first, "data")
        XCTAssertEqual(PinnedSource.recordedBytes(of: checksum, in: store), Int64(bytes))
    }

    func testATestFolderOrATrainTestLayoutGivesTheTestSplit() throws {
        let train = try folder(), test = try makeTemporaryDirectory(self) + "/test"
        try SampleImageFolder.write(to: test, classes: 2, perClass: 3, minSide: 16, maxSide: 20, seed: 9)
        let store = try makeExecutionStore()
        let (separate, _) = try run(pipeline("path: \"\(train)\", test_path: \"\(test)\""), store: store)
        let packed = try manifest(separate, store: store)
        XCTAssertEqual(packed.test, "folder")
        XCTAssertEqual(packed.splits["train"]?.count, 30)
        XCTAssertTrue(packed.splits["test"]?.first?.path.hasPrefix("test/frame/") ?? false)
        XCTAssertEqual(Set(packed.splits["test"]!.map(\.label)), [1, 2], "frame and square: the training classes' numbers")

        // torchvision's layout inside one archive: train/ and test/.
        let layout = try makeTemporaryDirectory(self) + "/pets"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: train, toPath: layout + "/train")
        try FileManager.default.copyItem(atPath: test, toPath: layout + "/test")
        let (split, log) = try run(pipeline("path: \"\(layout)\""), store: store)
        XCTAssertEqual(try manifest(split, store: store).splits.mapValues(\.count), ["train": 30, "test": 6])
        XCTAssertTrue(messages(log, of: "data").contains { $0.contains("holds train/ and test/") })
    }
}
