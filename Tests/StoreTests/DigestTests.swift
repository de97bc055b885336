import Foundation
import XCTest
@testable import Store

final class DigestTests: XCTestCase {
    func testKnownSHA256Digests() {
        XCTAssertEqual(Digest.sha256Hex(Data()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Digest.sha256Hex(Data("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testKnownMD5DigestFedInPieces() {
        var digest = Digest(.md5)
        digest.update(Data("a".utf8))
        digest.update(Data("bc".utf8))
        let hex = digest.finalize()
        XCTAssertEqual(hex, "900150983cd24fb0d6963f7d28e17f72")
    }
}
