// Which blob store a shared store's `blobs:` value names: a folder is a blob store of its own, an
// s3:// URL a bucket behind a cache, anything else refused when the value is read.
import Foundation
import Store
import XCTest

final class BlobLocationTests: XCTestCase {
    private let directory = URL(fileURLWithPath: "/srv/team")

    func testAFolderIsTakenRelativeToTheDescriptionAndOpensAsABlobStoreOfItsOwn() throws {
        XCTAssertEqual(try BlobLocation(parsing: "blobs", relativeTo: directory), .folder(URL(fileURLWithPath: "/srv/team/blobs")))
        XCTAssertEqual(try BlobLocation(parsing: "/mnt/nfs/../nfs/tlab", relativeTo: directory),
                       .folder(URL(fileURLWithPath: "/mnt/nfs/tlab")))
        let shared = try makeScratchFolder().appendingPathComponent("shared")
        let store = try BlobLocation.folder(shared).open(create: true, cache: nil)
        let hash = try store.put(Data("one blob".utf8)).hash
        // No cache in front: a second machine opening the folder reads what the first wrote.
        XCTAssertEqual(try BlobLocation.folder(shared).open(create: false, cache: nil).read(hash), Data("one blob".utf8))
    }

    func testAnS3URLIsABucketAndOtherSchemesAreRefusedBeforeAnythingConnects() throws {
        XCTAssertEqual(try BlobLocation(parsing: "s3://tlab-artifacts/team-a", relativeTo: directory),
                       .bucket(url: "s3://tlab-artifacts/team-a"))
        XCTAssertThrowsError(try BlobLocation(parsing: "gs://bucket/team", relativeTo: directory)) { error in
            XCTAssertEqual(error as? BlobLocationError, .unsupportedScheme("gs"))
            XCTAssertEqual("\(error)", "'blobs:' in gs:// storage is not supported; give an s3://bucket/prefix "
                + "or a folder of a shared filesystem")
        }
        XCTAssertThrowsError(try BlobLocation(parsing: "s3://team/a/../b", relativeTo: directory)) { error in
            guard case .invalidBucket(let reason)? = error as? BlobLocationError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("s3://team/a/../b"), reason)
        }
    }
}
