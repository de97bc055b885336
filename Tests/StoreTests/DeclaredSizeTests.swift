// A blob file whose zstd frame header claims more content than it holds must be reported as damaged,
// never trusted for an allocation.
import Foundation
import XCTest
@testable import Store

final class DeclaredSizeTests: XCTestCase {
    /// A zstd frame declaring a content size of 2^50 bytes and holding one empty raw block.
    private func frameDeclaring(contentSize: UInt64) -> Data {
        var frame = Data([0x28, 0xB5, 0x2F, 0xFD])  // magic
        frame.append(0xC0)                         // 8-byte content size, windowed
        frame.append(0x00)                         // window descriptor: 1 KiB
        withUnsafeBytes(of: contentSize.littleEndian) { frame.append(contentsOf: $0) }
        frame.append(contentsOf: [0x01, 0x00, 0x00])  // last block, raw, 0 bytes
        return frame
    }

    func testABlobDeclaringTwoToTheFiftyBytesIsReportedDamagedNotAllocated() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let info = try store.put(Data("small".utf8))
        let path = try store.path(of: info.hash)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path.path)
        try frameDeclaring(contentSize: 1 << 50).write(to: path)

        XCTAssertThrowsError(try store.read(info.hash)) { error in
            guard case StoreError.corrupt = error else { return XCTFail("\(error)") }
        }
        guard case .corrupt = store.verify(info.hash) else { return XCTFail("verify calls it intact") }
    }
}
