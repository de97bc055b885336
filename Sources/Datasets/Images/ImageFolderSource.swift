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
package struct ImageFolderSource {
    package enum Location: Equatable {
        case folder(String)
        case archive(String)
        case remote(URL, checksum: String)
    }

    /// Where the images are, as a pipeline file names them.
    package enum Origin: Equatable {
        /// A local folder or archive.
        case path(String)
        /// An http(s) archive and its SHA-256 (hex, or `sha256:` hex).
        case url(URL, sha256: String)
    }

    package let images: Location
    package let test: Location?
    /// The labels CSV as given: relative to the image folder's root, or a path of its own.
    package let labels: String?

    /// Resolves the local paths (which must exist, as a folder or an archive) and pins a URL to its
    /// checksum; `testPath` is a separate local test folder or archive.
    package init(images origin: Origin, testPath: String?, labels: String?) throws {
        switch origin {
        case .path(let path): images = try Self.local(path)
        case let .url(url, sha256): images = .remote(url, checksum: sha256.contains(":") ? sha256 : "sha256:" + sha256)
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
    package var externalLabels: String? {
        guard let labels else { return nil }
        if case .folder(let root) = images, FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent(labels)) {
            return nil
        }
        return FileManager.default.fileExists(atPath: labels) ? labels : nil
    }

    /// What the key hashes for the local content (nil when a URL's checksum pins it all): SHA-256 over
    /// each local location's files, paths, sizes and hashes.
    package func fingerprint(cache: FileHashCache) throws -> String? {
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
    package static func describe(_ location: Location, cache: FileHashCache) throws -> String {
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
package struct FolderFiles {
    package let root: String
    package let paths: [String]
    /// Each file's stat identity (its size among them), taken while listing.
    package let identities: [FileHashCache.Identity]

    package init(root: String) throws {
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

    package func absolute(_ path: String) -> String { (root as NSString).appendingPathComponent(path) }
}
