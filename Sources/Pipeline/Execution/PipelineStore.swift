// A store folder as `tlab` lays it out: the blob store and, beside its blobs, the lineage database.
import Foundation
import Store

/// The blob store at `root` and its lineage database `root/lineage.sqlite`, opened together.
public struct PipelineStore: @unchecked Sendable {
    /// The lineage database's file name inside a store folder.
    public static let lineageFile = "lineage.sqlite"

    public let blobs: BlobStore
    public let lineage: LineageDatabase

    /// Opens (with `create`, making if needed) the store at `root`; fails with `StoreError.notAStore`
    /// for a folder that is not one.
    public init(root: URL, create: Bool = true) throws {
        blobs = try BlobStore.open(root: root, create: create)
        lineage = try LineageDatabase(path: blobs.root.appendingPathComponent(Self.lineageFile).path)
    }

    public var root: URL { blobs.root }
}
