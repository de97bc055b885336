// Where a store is: a folder (blobs and lineage.sqlite inside, the default), or a shared store named by
// a small YAML file: lineage in PostgreSQL, blobs in an S3-compatible bucket (behind a local cache)
// or in a folder on a shared filesystem.
import Foundation
import Store
import Yams

/// What `--store` / `TLAB_STORE` names.
public enum StoreLocation: Sendable, Equatable {
    /// A store folder, created on first use.
    case folder(URL)
    /// A shared store described by a YAML file (see `SharedStoreFile`).
    case shared(SharedStoreFile)

    /// A path to an existing `.yaml`/`.yml` file is a shared store's description; anything else is a folder.
    public static func resolve(_ value: String) throws -> StoreLocation {
        let url = URL(fileURLWithPath: (value as NSString).expandingTildeInPath)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        guard ["yaml", "yml"].contains(url.pathExtension.lowercased()) else { return .folder(url) }
        guard exists, !isDirectory.boolValue else { throw StoreLocationError.missingFile(path: value) }
        return .shared(try SharedStoreFile(contentsOf: url))
    }

    /// How messages name the store: the folder, or the YAML file.
    public var name: String {
        switch self {
        case .folder(let url): return url.path
        case .shared(let file): return file.file
        }
    }
}

/// A shared store's description:
///
/// ```yaml
/// lineage: postgresql://tlab@db.example.org:5432/tlab   # libpq URI or key=value string, no password
/// blobs: s3://tlab-artifacts/team-a                    # a bucket and prefix, or a shared folder
/// cache: ~/.cache/tlab                                 # optional: the local cache of remote blobs
/// cache_max: 50 GiB                                    # optional: evict least recently used blobs above this
/// ```
///
/// Relative folders are relative to the file. Passwords come only from libpq's environment
/// (PGPASSWORD, ~/.pgpass or PGPASSFILE): a `lineage` holding one is refused.
public struct SharedStoreFile: Sendable, Equatable {
    /// The YAML file, as given.
    public var file: String
    public var lineage: String
    /// Where the blobs are: a shared folder or a bucket (the rule is `BlobLocation`'s, in Store).
    public var blobs: BlobLocation
    public var cache: URL?
    /// The most bytes of blob files the cache keeps (`BlobStore.cacheLimit`); nil: no cap.
    public var cacheMax: Int64?

    static let keys = ["lineage", "blobs", "cache", "cache_max"]

    public init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw StoreLocationError.missingFile(path: url.path)
        }
        try self.init(yaml: text, file: url.path)
    }

    public init(yaml: String, file: String) throws {
        let parsed: Any?
        do {
            parsed = try BoundedYAML.compose(yaml: yaml)?.any
        } catch let error as YAMLExpansionError {
            throw StoreLocationError.invalid(file: file, problem: error.problem)
        } catch {
            // The first line only: the rest quotes the file, which may hold the lineage password.
            let problem = String(describing: error).split(separator: "\n").first.map(String.init) ?? ""
            throw StoreLocationError.invalid(file: file, problem: "it is not YAML (\(printable(Redaction.text(problem))))")
        }
        guard let mapping = parsed as? [String: Any] else {
            throw StoreLocationError.invalid(file: file, problem: "it must be a mapping with keys \(Self.keys.joined(separator: ", "))")
        }
        for key in mapping.keys.sorted() where !Self.keys.contains(key) {
            let hint = nearestName(to: key, in: Self.keys).map { "; did you mean '\($0)'?" } ?? ""
            throw StoreLocationError.invalid(file: file, problem: "unknown key '\(key)' (valid: \(Self.keys.joined(separator: ", ")))\(hint)")
        }
        func text(_ key: String, required: Bool) throws -> String? {
            guard let value = mapping[key] else {
                guard !required else { throw StoreLocationError.invalid(file: file, problem: "'\(key)' is missing") }
                return nil
            }
            guard let string = value as? String, !string.isEmpty else {
                throw StoreLocationError.invalid(file: file, problem: "'\(key)' must be a non-empty string")
            }
            return string
        }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        self.file = file
        lineage = try text("lineage", required: true)!
        guard lineage.hasPrefix("postgresql://") || lineage.hasPrefix("postgres://") || lineage.contains("=") else {
            throw StoreLocationError.invalid(file: file, problem: "'lineage' must name a PostgreSQL database "
                + "(postgresql://user@host:port/dbname or a libpq key=value string), not '\(Redaction.text(lineage))'")
        }
        do {
            blobs = try BlobLocation(parsing: try text("blobs", required: true)!, relativeTo: directory)
        } catch let error as BlobLocationError {
            throw StoreLocationError.invalid(file: file, problem: error.description)
        }
        cache = try text("cache", required: false).map { BlobLocation.folder($0, relativeTo: directory) }
        if let value = mapping["cache_max"] {
            guard let bytes = (value as? Int).map(Int64.init) ?? (value as? String).flatMap(ByteCount.parse), bytes > 0 else {
                throw StoreLocationError.invalid(file: file, problem: "'cache_max' must be a size such as 50 GiB, 800 MB "
                    + "or a number of bytes, not '\(printable(Redaction.text("\(value)")))'")
            }
            guard case .bucket = blobs else {
                throw StoreLocationError.invalid(file: file, problem: "'cache_max' caps the cache of an s3:// 'blobs:'; "
                    + "a folder's blobs are the only copies and are never evicted")
            }
            cacheMax = bytes
        }
    }
}

/// A `--store` value that cannot be used, naming the file and what to change.
public enum StoreLocationError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case invalid(file: String, problem: String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "no shared store file at \(path); a .yaml --store names a file with 'lineage:' and 'blobs:' "
                + "(see docs/shared-store.md), any other value a store folder"
        case let .invalid(file, problem):
            return "\(file): \(problem); see docs/shared-store.md for the format"
        }
    }
}
