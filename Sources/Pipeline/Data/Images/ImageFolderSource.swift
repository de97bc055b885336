// Where an image-folder download's files are — a local folder, a local archive, or an archive at a
// URL pinned by its SHA-256 — and the fingerprint of the local ones that goes into the stage's key:
// every visible file's path, size and SHA-256, so editing one image, renaming a class folder or
// adding a file changes the key, and an unchanged folder is recognised by a stat per file.
import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// The resolved `path`/`url`, `test_path` and `labels` of an image-folder download stage.
struct ImageFolderSource {
    enum Location: Equatable {
        case folder(String)
        case archive(String)
        case remote(URL, checksum: String)
    }

    let images: Location
    let test: Location?
    /// The labels CSV as given: relative to the image folder's root, or a path of its own.
    let labels: String?

    /// The locations an image-folder download names; `stage` names it in errors.
    init(path: String?, url: String?, sha256: String?, testPath: String?, labels: String?, stage: String) throws {
        switch (path, url) {
        case let (path?, nil): images = try Self.local(path)
        case let (nil, url?):
            guard let sha256 else {
                throw StageError.unsupported(stage: stage, parameter: "url", value: url, expected: "a sha256 beside it (the archive's SHA-256)")
            }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? "") else {
                throw StageError.unsupported(stage: stage, parameter: "url", value: url, expected: "an http(s) URL of a .tar, .tar.gz or .zip")
            }
            images = .remote(parsed, checksum: sha256.contains(":") ? sha256 : "sha256:" + sha256)
        default:
            throw StageError.unsupported(stage: stage, parameter: "source", value: "image-folder with "
                                         + (path == nil ? "neither path nor url" : "both path and url"),
                                         expected: "path (a local folder or archive) or url (an archive, with sha256)")
        }
        test = try testPath.map(Self.local)
        self.labels = labels
    }

    private static func local(_ path: String) throws -> Location {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageFolderError.notAFolder(path: path, reason: "does not exist")
        }
        if isDirectory.boolValue { return .folder(path) }
        guard ArchiveExtraction.format(of: path) != nil else {
            throw ImageFolderError.notAFolder(path: path, reason: "is a file but not a .tar, .tar.gz or .zip archive")
        }
        return .archive(path)
    }

    /// The labels CSV as a local file of its own, when `labels` names no file inside a local image
    /// folder but one on disk (relative to the working directory, or absolute). Otherwise the CSV is
    /// part of the folder or archive, and its hash part of theirs.
    var externalLabels: String? {
        guard let labels else { return nil }
        if case .folder(let root) = images, FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent(labels)) {
            return nil
        }
        return FileManager.default.fileExists(atPath: labels) ? labels : nil
    }

    /// What the key hashes for the local content (nil when a URL's checksum pins it all): SHA-256 over
    /// each local location's files, paths, sizes and hashes.
    func fingerprint(cache: FileHashCache) throws -> String? {
        if case .remote = images, test == nil, externalLabels == nil { return nil }
        var text = "transferlab.image-folder-content.v1\n"
        for (role, location) in [("images", images), ("test", test)] {
            guard let location else { continue }
            text += role + "\n" + (try Self.describe(location, cache: cache))
        }
        if let labels = externalLabels {
            text += "labels \(try cache.sha256(of: [URL(fileURLWithPath: labels).standardizedFileURL.path])[0])\n"
        }
        return "sha256:" + Digest.sha256Hex(Data(text.utf8))
    }

    /// One location's part of the fingerprint text.
    static func describe(_ location: Location, cache: FileHashCache) throws -> String {
        switch location {
        case .remote(let url, let checksum): return "url \(url.absoluteString) \(checksum)\n"
        case .archive(let path): return "archive \(try cache.sha256(of: [URL(fileURLWithPath: path).standardizedFileURL.path])[0])\n"
        case .folder(let root):
            let files = try FolderFiles(root: root)
            let hashes = try cache.sha256(of: files.paths.map { files.absolute($0) }, identities: files.identities)
            return zip(files.paths, zip(files.identities, hashes)).map { "file \($0)\t\($1.0.size)\t\($1.1)\n" }.joined()
        }
    }
}

/// Every visible regular file below a folder (hidden files and folders, whose names start with a
/// dot, left out), by relative path in code-point order.
struct FolderFiles {
    let root: String
    let paths: [String]
    /// Each file's stat identity (its size among them), taken while listing.
    let identities: [FileHashCache.Identity]

    init(root: String) throws {
        let root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.root = root
        var found: [(String, FileHashCache.Identity)] = []
        func walk(_ relative: String) throws {
            let folder = relative.isEmpty ? root : (root as NSString).appendingPathComponent(relative)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder)
            } catch {
                throw ImageFolderError.unreadableFolder(path: folder, reason: (error as NSError).localizedDescription)
            }
            for name in names where !name.hasPrefix(".") {
                let path = relative.isEmpty ? name : relative + "/" + name
                // One stat tells a folder from a file and gives the file's identity.
                var status = stat()
                guard stat((root as NSString).appendingPathComponent(path), &status) == 0 else { continue }  // a dangling link
                if status.st_mode & S_IFMT == S_IFDIR {
                    try walk(path)
                } else if status.st_mode & S_IFMT == S_IFREG {
                    found.append((path, FileHashCache.Identity(status)))
                }
            }
        }
        try walk("")
        found.sort { codePointOrder($0.0, $1.0) }
        paths = found.map(\.0)
        identities = found.map(\.1)
    }

    func absolute(_ path: String) -> String { (root as NSString).appendingPathComponent(path) }
}
