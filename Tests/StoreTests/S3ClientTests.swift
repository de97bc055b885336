// The S3 client against a real endpoint (moto, every signature checked): each call, listing across
// pages, multipart uploads, and payloads signed or not.
import Foundation
import TestSupport
import XCTest
@testable import Store

final class S3ClientTests: XCTestCase {
    func testPutGetRangedGetHeadDelete() throws {
        // The key needs percent-encoding, which moto's signature check gets wrong (see MotoServer).
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let client = moto.client()
        let data = testBytes(100_000)
        let etag = try client.putObject("dir/a b+c.bin", data: data)
        XCTAssertFalse(etag.isEmpty)

        XCTAssertEqual(try client.getObject("dir/a b+c.bin"), data, "a key with a space and a plus goes through")
        XCTAssertEqual(try client.getObject("dir/a b+c.bin", range: 10...19), data[10...19])
        XCTAssertEqual(try client.getObject("dir/a b+c.bin", range: 99_990...99_999), data.suffix(10))

        let head = try XCTUnwrap(try client.headObject("dir/a b+c.bin"))
        XCTAssertEqual(head.size, 100_000)
        XCTAssertEqual(head.etag, etag)
        XCTAssertLessThan(abs(head.lastModified.timeIntervalSinceNow), 300)
        XCTAssertNil(try client.headObject("dir/absent"))

        var streamed = Data()
        let info = try XCTUnwrap(try client.getObject("dir/a b+c.bin", range: 50_000...59_999) { streamed.append($0) })
        XCTAssertEqual(streamed, data[50_000...59_999])
        XCTAssertEqual(info.size, 100_000, "a ranged GET still reports the object's whole size")
        XCTAssertNil(try client.getObject("dir/absent") { _ in XCTFail("no bytes for a missing object") })

        try client.deleteObject("dir/a b+c.bin")
        XCTAssertNil(try client.headObject("dir/a b+c.bin"))
        XCTAssertNoThrow(try client.deleteObject("dir/a b+c.bin"), "deleting what is not there succeeds, as in S3")
    }

    func testListingFollowsContinuationTokensAcrossPages() throws {
        let moto = try MotoBucket.start(for: self, checkSignatures: false)
        let client = moto.client()
        let keys = (0..<7).map { "list/\($0)" }
        for key in keys { try client.putObject(key, data: Data(key.utf8)) }
        try client.putObject("elsewhere/x", data: Data("x".utf8))

        let first = try client.listObjects(prefix: "list/", maxKeys: 3)
        XCTAssertEqual(first.objects.map(\.key), ["list/0", "list/1", "list/2"])
        XCTAssertNotNil(first.nextContinuationToken)

        var listed: [S3Client.ListedObject] = []
        try client.forEachObject(prefix: "list/", pageSize: 3) { listed.append($0) }
        XCTAssertEqual(listed.map(\.key), keys, "three pages of at most 3")
        XCTAssertEqual(listed.map(\.size), keys.map { Int64($0.utf8.count) })
        XCTAssertTrue(listed.allSatisfy { abs($0.lastModified.timeIntervalSinceNow) < 300 })
    }

    func testLargeFilesGoUpAsMultipartUploadsInWholeParts() throws {
        let moto = try MotoBucket.start(for: self)
        let client = moto.client(moto.configuration(partSize: 64 << 10))
        let folder = try makeScratchFolder()
        let file = folder.appendingPathComponent("big")
        let data = testBytes(300_000)
        try data.write(to: file)

        let etag = try client.uploadFile(file, size: Int64(data.count), as: "multi/big")
        XCTAssertTrue(etag.hasSuffix("-5\""), "five parts of 64 KiB and a tail: the ETag counts them (\(etag))")
        XCTAssertEqual(try client.getObject("multi/big"), data)
        XCTAssertEqual(try client.pendingUploads(prefix: ""), [], "the completed upload is no longer pending")

        // Small files go in one PUT.
        let small = folder.appendingPathComponent("small")
        try Data("small".utf8).write(to: small)
        XCTAssertFalse(try client.uploadFile(small, size: 5, as: "multi/small").contains("-"))
        XCTAssertEqual(try client.getObject("multi/small"), Data("small".utf8))
    }

    func testAnAbortedUploadLeavesNoObjectAndNoPendingUpload() throws {
        let moto = try MotoBucket.start(for: self)
        let client = moto.client()
        let id = try client.createMultipartUpload("aborted")
        _ = try client.uploadPart("aborted", uploadID: id, number: 1, data: testBytes(70_000))
        XCTAssertEqual(try client.pendingUploads(prefix: "").map(\.uploadID), [id])
        try client.abortMultipartUpload("aborted", uploadID: id)
        XCTAssertEqual(try client.pendingUploads(prefix: ""), [])
        XCTAssertNil(try client.headObject("aborted"))
    }

    func testEveryKindOfRequestPassesTheServersSignatureCheck() throws {
        let moto = try MotoBucket.start(for: self)
        let client = moto.client()
        let data = testBytes(150_000)
        try client.putObject("blobs/ab/cd.zst", data: data)
        XCTAssertEqual(try client.getObject("blobs/ab/cd.zst", range: 5...9), data[5...9])
        XCTAssertEqual(try client.headObject("blobs/ab/cd.zst")?.size, 150_000)
        XCTAssertEqual(try client.listObjects(prefix: "").objects.map(\.key), ["blobs/ab/cd.zst"])
        let folder = try makeScratchFolder()
        try data.write(to: folder.appendingPathComponent("f"))
        try client.uploadFile(folder.appendingPathComponent("f"), size: 150_000, as: "blobs/ef/01.zst")
        XCTAssertEqual(try client.getObject("blobs/ef/01.zst"), data)
        try client.deleteObject("blobs/ab/cd.zst")
        XCTAssertNil(try client.headObject("blobs/ab/cd.zst"))

        let wrong = moto.client(moto.configuration(credentials: S3Credentials(accessKeyID: moto.accessKeyID,
                                                                              secretAccessKey: "not-the-secret")))
        XCTAssertThrowsError(try wrong.getObject("blobs/ef/01.zst")) { error in
            XCTAssertEqual((error as? S3Error)?.code, "SignatureDoesNotMatch", "the check is on: \(error)")
        }
    }

    func testUnsignedPayloadsAreAcceptedToo() throws {
        let moto = try MotoBucket.start(for: self)
        let client = moto.client(moto.configuration(signPayload: false))
        let folder = try makeScratchFolder()
        let file = folder.appendingPathComponent("f")
        try testBytes(200_000).write(to: file)
        try client.uploadFile(file, size: 200_000, as: "unsigned/multi")
        try client.putObject("unsigned/data", data: testBytes(1000))
        XCTAssertEqual(try client.getObject("unsigned/multi"), testBytes(200_000))
        XCTAssertEqual(try client.getObject("unsigned/data"), testBytes(1000))
    }
}
