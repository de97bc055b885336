// download with source image-folder: a folder of class folders holding PNG and JPEG files (or a
// .tar, .tar.gz or .zip of one, local or at a URL), listed by class, split into train and test, and
// packed into the store with a manifest. Decoding happens in preprocess.
import Datasets
import Foundation
import Store

extension DownloadStage {
    static let imagesOutput = "images"

    func imageFolder(_ p: Parameters, _ context: StageContext) throws -> StageResult {
        let source = try p.imageFolder(stage: context.name)
        let cache = FileHashCache(file: FileHashCache.location(inStore: context.store.root))
        defer { cache.save() }
        // The content the key was computed from must be what is packed.
        if let keyed = context.material.externalContent, try source.fingerprint(cache: cache) != keyed {
            throw ImageFolderError.changedWhileRunning(path: p.path ?? p.testPath ?? "the image folder")
        }
        // A checksum given for a local archive is checked too (the key hashes the archive anyway).
        if case .archive(let path) = source.images, let expected = p.checksum {
            let checksum = try Checksum(parsing: expected)
            let got = try Checksum(checksum.algorithm, FileHashCache.hashFile(path, checksum.algorithm))
            guard got == checksum else { throw DownloadError.checksumMismatch(file: path, expected: checksum, got: got) }
        }
        let scratch = context.scratch.appendingPathComponent("image-folder").path
        var fetched: [PinnedSource] = []
        var root = try localRoot(source.images, scratch: scratch + "/images", p, context, fetched: &fetched)
        var testRoot = try source.test.map { try localRoot($0, scratch: scratch + "/test", p, context, fetched: &fetched) }
        // torchvision's layout: train/ and test/ folders, each holding the class folders.
        let subfolders = try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }
        if testRoot == nil, Set(subfolders.filter { isFolder((root as NSString).appendingPathComponent($0)) }) == ["train", "test"] {
            testRoot = (root as NSString).appendingPathComponent("test")
            root = (root as NSString).appendingPathComponent("train")
            context.message("\(p.path ?? "the archive") holds train/ and test/: using them as the two splits")
        }

        var listing: ImageFolderListing
        if let labels = source.labels {
            let inside = (root as NSString).appendingPathComponent(labels)
            let file = FileManager.default.fileExists(atPath: inside) ? inside : labels
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw DatasetError.unreadable(file: labels, reason: "no such file inside \(root) or on disk, or not UTF-8 text")
            }
            listing = try ImageFolderListing.labelled(root, by: LabelsCSV(text, name: labels), labelsName: labels)
        } else {
            listing = try ImageFolderListing.classFolders(of: root)
        }
        var train = listing.files, test: [ImageFolderListing.File] = []
        var ignored = listing.ignored
        if let testRoot {
            let testListing = try ImageFolderListing.classFolders(of: testRoot)
            let index = Dictionary(uniqueKeysWithValues: listing.classNames.enumerated().map { ($1, $0) })
            let unknown = testListing.classNames.filter { index[$0] == nil }
            guard unknown.isEmpty else {
                throw ImageFolderError.unknownTestClasses(root: testRoot, classes: unknown, trainClasses: listing.classNames)
            }
            test = testListing.files.map { .init(path: $0.path, label: index[testListing.classNames[$0.label]]!) }
                .sorted { $0.label != $1.label ? $0.label < $1.label : codePointOrder($0.path, $1.path) }
            ignored += testListing.ignored.map { "test/" + $0 }
        } else {
            let (kept, heldOut) = try LabelSelection.splitting(train.map { Int32($0.label) }, classCount: listing.classNames.count,
                                                               fraction: p.testFraction, seed: UInt64(p.seed))
            (train, test) = (kept.map { train[$0] }, heldOut.map { train[$0] })
        }

        let packer = FilePacker(blobs: context.store.blobs, maxShardBytes: p.shardMib << 20)
        var progress = StageProgress(context, total: train.count + test.count, "images packed")
        func pack(_ files: [ImageFolderListing.File], from folder: String, prefix: String) throws -> [ImageFolderManifest.File] {
            try files.map { file in
                let path = (folder as NSString).appendingPathComponent(file.path)
                let identity = try FileHashCache.identity(of: path)
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw DatasetError.unreadable(file: path, reason: "no permission, or it vanished")
                }
                let sha256 = Digest.sha256Hex(contents)
                // Files of a local folder (not of an unpacked archive) keep their hash for the next key.
                if !path.hasPrefix(scratch) { cache.remember(URL(fileURLWithPath: path).standardizedFileURL.path, identity: identity, sha256: sha256) }
                let place = try packer.add(contents)
                progress.advance()
                return .init(path: prefix + file.path, label: file.label, size: contents.count, sha256: sha256, shard: place.shard, offset: place.offset)
            }
        }
        let packedTrain = try pack(train, from: root, prefix: "")
        let packedTest = try pack(test, from: testRoot ?? root, prefix: testRoot == nil ? "" : "test/")
        // A file edited between the key's hashing and its packing would make the key lie.
        if let keyed = context.material.externalContent, try source.fingerprint(cache: cache) != keyed {
            throw ImageFolderError.changedWhileRunning(path: p.path ?? "the image folder")
        }
        let manifest = ImageFolderManifest(classNames: listing.classNames,
                                           splits: [TaskSplit.train: packedTrain, TaskSplit.test: packedTest],
                                           shards: try packer.finish(), test: testRoot == nil ? "split" : "folder",
                                           ignoredCount: ignored.count, ignoredExamples: Array(ignored.prefix(20)))
        context.message("\(listing.classNames.count) classes, \(packedTrain.count) train and \(packedTest.count) test images"
                        + (testRoot == nil ? " (\(Int((p.testFraction * 100).rounded())) % of each class held out)" : "")
                        + (ignored.isEmpty ? "" : "; \(ignored.count) other files ignored (\(ignored.prefix(3).joined(separator: ", "))"
                           + (ignored.count > 3 ? ", …)" : ")")))
        var outputs = try manifest.outputs(as: Self.imagesOutput)
        if !fetched.isEmpty { outputs[PinnedSource.fetchedArchivesOutput] = try .json(fetched) }
        return StageResult(outputs: outputs)
    }

    /// A folder holding `location`'s files: the folder itself, or the archive unpacked into `scratch`
    /// (fetched first when remote, verified by its checksum, and added to `fetched` with its size).
    /// An archive holding one folder only is entered.
    private func localRoot(_ location: ImageFolderSource.Location, scratch: String, _ p: Parameters, _ context: StageContext,
                           fetched: inout [PinnedSource]) throws -> String {
        let archive: String
        switch location {
        case .folder(let path): return path
        case .archive(let path): archive = path
        case let .remote(url, checksum):
            let source = DataSource.url(url, checksum: try Checksum(parsing: checksum))
            archive = try p.downloader().fetch(source.withRecordedSizes { PinnedSource.recordedBytes(of: $0, in: context.store) },
                                               into: scratch + "-download")[0]
            fetched.append(try PinnedSource(location: url.absoluteString, file: archive))
        }
        let limits = UnpackLimits(maxTotalBytes: Int64(p.maxUnpackedMib) << 20, maxRatio: Int64(p.maxUnpackRatio),
                                  maxFiles: p.maxUnpackedFiles)
        let count = try ArchiveExtraction.extract(archive, into: scratch, limits: limits)
        context.message("unpacked \(count) files from \((archive as NSString).lastPathComponent)")
        var root = scratch
        while true {
            let visible = (try? FileManager.default.contentsOfDirectory(atPath: root))?.filter { !$0.hasPrefix(".") } ?? []
            guard visible.count == 1, isFolder((root as NSString).appendingPathComponent(visible[0])) else { return root }
            root = (root as NSString).appendingPathComponent(visible[0])
        }
    }

    private func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
