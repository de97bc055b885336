@testable import Datasets
import Foundation
@testable import Pipeline
import Store
import TestSupport
import XCTest

/// Downloads against `Fixtures/http_fixture_server.py` on 127.0.0.1, which serves files whole, answers
/// 404, cuts transfers short, or fails with 503 a given number of times.
final class DownloaderTests: XCTestCase {
    private var server: HTTPFixtureServer?
    private var port = 0
    private var served = ""
    private let payload = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })

    override func setUpWithError() throws {
        served = try makeTemporaryDirectory(self)
        _ = try write(payload, to: served, "payload.bin")
        let started = try HTTPFixtureServer(serving: served)
        server = started
        port = started.port
    }

    override func tearDown() {
        server?.stop()
    }

    private func base(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(path)/")! }

    private func source(at base: URL, checksum: Checksum? = nil, fallback: String? = nil) throws -> DataSource {
        DataSource(name: "test", location: .remote(base: base),
                   files: [.init(name: "payload.bin", checksum: try checksum ?? Checksum(.sha256, Digest.sha256Hex(payload)))],
                   fallbackDirectory: fallback, advice: "try the fallback")
    }

    /// A downloader that retries quickly, so failure paths take milliseconds.
    private func downloader(attempts: Int = 3, mirror: URL? = nil) -> Downloader {
        Downloader(mirror: mirror, timeout: 5, attempts: attempts, initialBackoff: 0.01)
    }

    func testDownloadsVerifiesAndReportsProgress() throws {
        let out = try makeTemporaryDirectory(self)
        let last = LockedValue<DownloadProgress?>(nil)
        var loader = downloader()
        loader.progress = { progress in last.set(progress) }

        let paths = try loader.fetch(source(at: base("files")), into: out)

        XCTAssertEqual(paths, [out + "/payload.bin"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0])), payload)
        XCTAssertEqual(last.get(), DownloadProgress(file: "payload.bin", receivedBytes: 50_000, expectedBytes: 50_000))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["payload.bin"], "no temp file left")
    }

    func testNotFoundIsNotRetried() throws {
        let start = Date()
        XCTAssertThrowsError(try Downloader(attempts: 3, initialBackoff: 60)
            .fetch(source(at: base("missing")), into: makeTemporaryDirectory(self))) {
            XCTAssertEqual($0 as? DownloadError, .notFound(url: base("missing").absoluteString + "payload.bin"))
        }
        // A retry would first sleep the 60 s backoff; half of it leaves any loaded machine its margin.
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "a 404 must not wait for a retry")
    }

    func testChecksumMismatchNamesBothAndKeepsNothing() throws {
        let out = try makeTemporaryDirectory(self)
        let wrong = try Checksum(parsing: "md5:00000000000000000000000000000000")
        XCTAssertThrowsError(try downloader().fetch(source(at: base("files"), checksum: wrong), into: out)) {
            guard case let .checksumMismatch(_, expected, got)? = $0 as? DownloadError else { return XCTFail("\($0)") }
            XCTAssertEqual(expected, wrong)
            XCTAssertEqual(got.algorithm, .md5)
            XCTAssertTrue("\($0)".contains("expected md5:0000"), "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testTruncatedTransferIsReportedAfterRetries() throws {
        XCTAssertThrowsError(try downloader(attempts: 2).fetch(source(at: base("truncate")),
                                                                into: makeTemporaryDirectory(self))) {
            XCTAssertEqual($0 as? DownloadError, .truncated(url: base("truncate").absoluteString + "payload.bin",
                                                            receivedBytes: 25_000, expectedBytes: 50_000))
        }
    }

    func testABodyAnnouncedBeyondTheLimitIsRefusedBeforeItIsFetched() throws {
        let target = try makeTemporaryDirectory(self)
        let loader = Downloader(timeout: 5, attempts: 3, initialBackoff: 0.01, maxBytes: 1 << 20)
        XCTAssertThrowsError(try loader.fetch(source(at: base("huge")), into: target)) {
            XCTAssertEqual($0 as? DownloadError, .tooLarge(url: base("huge").absoluteString + "payload.bin",
                                                           limitBytes: 1 << 20, announcedBytes: 1 << 40))
            XCTAssertEqual("\($0)", base("huge").absoluteString + "payload.bin announces 1099511627776 bytes, more than the"
                           + " download limit of 1 MiB; if the file is really that large, raise the download parameter max_download_mib")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), [], "no partial file left")
    }

    func testABodyWithoutALengthIsCutOffAtTheLimit() throws {
        let target = try makeTemporaryDirectory(self)
        let loader = Downloader(timeout: 5, attempts: 3, initialBackoff: 0.01, maxBytes: 1 << 20)
        XCTAssertThrowsError(try loader.fetch(source(at: base("endless")), into: target)) {
            XCTAssertEqual($0 as? DownloadError, .tooLarge(url: base("endless").absoluteString + "payload.bin",
                                                           limitBytes: 1 << 20, announcedBytes: nil))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), [], "no partial file left")
    }

    func testAPinnedFileServedLongerThanItsRecordedSizeIsRefusedAtOnceNamingBothSizes() throws {
        let target = try makeTemporaryDirectory(self)
        func pinned(_ path: String) throws -> DataSource {
            try source(at: base(path)).withRecordedSizes { _ in Int64(self.payload.count) }
        }
        XCTAssertThrowsError(try downloader().fetch(pinned("huge"), into: target)) {
            XCTAssertEqual($0 as? DownloadError, .longerThanPinned(url: base("huge").absoluteString + "payload.bin",
                                                                   pinnedBytes: 50_000, announcedBytes: 1 << 40))
            XCTAssertEqual("\($0)", base("huge").absoluteString + "payload.bin announces 1099511627776 bytes, but the file its"
                           + " checksum pins had 50000 bytes when it was pinned: the server no longer serves that file;"
                           + " check the URL (or the mirror), or pin the new file's checksum")
        }
        XCTAssertThrowsError(try downloader().fetch(pinned("endless"), into: target)) {
            XCTAssertEqual($0 as? DownloadError, .longerThanPinned(url: base("endless").absoluteString + "payload.bin",
                                                                   pinnedBytes: 50_000, announcedBytes: nil))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), [], "no partial file left")
        // The file of the recorded size still downloads.
        XCTAssertEqual(try FileManager.default.contents(atPath: downloader().fetch(pinned("files"), into: target)[0]), payload)
    }

    func testAURLsCredentialsAndQueryValuesAreNotPrinted() {
        let error = DownloadError.notFound(url: "https://alice:s3cret@example.org/data.tar?token=abc123&page=2")
        XCTAssertEqual("\(error)", "https://alice:***@example.org/data.tar?token=***&page=*** answered 404 Not Found;"
                       + " check the URL, or the mirror's base URL if one is set")
    }

    func testCredentialsComeFromTheNetrcFileNotTheURL() throws {
        let folder = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try downloader().fetch(source(at: base("private")), into: folder)) {
            XCTAssertEqual($0 as? DownloadError, .httpStatus(url: base("private").absoluteString + "payload.bin", status: 401))
        }
        let netrc = folder + "/netrc"
        try "machine other.example login x password y\nmachine 127.0.0.1 login reader password pw\n"
            .write(toFile: netrc, atomically: true, encoding: .utf8)
        setenv("NETRC", netrc, 1)
        defer { unsetenv("NETRC") }
        let paths = try downloader().fetch(source(at: base("private")), into: folder + "/out")
        XCTAssertEqual(FileManager.default.contents(atPath: paths[0]), payload)
    }

    /// Decided where URLSession asks whether to follow a redirect: only https to https is followed
    /// from an https URL. (The loopback fixture speaks plain http; URLSession on Linux offers no way
    /// to trust a test's self-signed certificate, so the decision is checked on its own.)
    func testAnHTTPSDownloadIsNotRedirectedOutOfHTTPS() throws {
        let origin = URL(string: "https://data.example.org/set/images.zip")!
        XCTAssertEqual(HTTPTransfer.downgrade(from: origin, to: URL(string: "http://data.example.org/set/images.zip")),
                       "http://data.example.org/set/images.zip")
        XCTAssertEqual(HTTPTransfer.downgrade(from: origin, to: URL(string: "ftp://mirror.example.org/images.zip")),
                       "ftp://mirror.example.org/images.zip")
        XCTAssertNil(HTTPTransfer.downgrade(from: origin, to: URL(string: "HTTPS://cdn.example.org/images.zip")))
        XCTAssertNil(HTTPTransfer.downgrade(from: URL(string: "http://data.example.org/a.zip")!,
                                            to: URL(string: "http://mirror.example.org/a.zip")), "plain http was never encrypted")
        XCTAssertEqual("\(DownloadError.insecureRedirect(url: origin.absoluteString, to: "http://data.example.org/set/images.zip?token=s3cret"))",
                       "https://data.example.org/set/images.zip redirects to http://data.example.org/set/images.zip?token=***"
                       + " and that is not https: the file (and any credentials) would travel unencrypted, so the redirect"
                       + " was not followed; use the https address the file is served at")
    }

    func testSilentServerTimesOut() throws {
        let start = Date()
        let loader = Downloader(timeout: 0.5, attempts: 1)
        XCTAssertThrowsError(try loader.fetch(source(at: base("stall")), into: makeTemporaryDirectory(self))) {
            guard case .unreachable(_, let reason, _)? = $0 as? DownloadError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.lowercased().contains("timed out"), reason)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testServiceUnavailableIsRetriedUntilItSucceeds() throws {
        XCTAssertThrowsError(try downloader(attempts: 2).fetch(source(at: base("flaky/2/few")),
                                                                into: makeTemporaryDirectory(self)),
                             "two attempts cannot outlast two 503s") {
            XCTAssertTrue("\($0)".contains("HTTP 503"), "\($0)")
        }
        let paths = try downloader(attempts: 3).fetch(source(at: base("flaky/2/enough")),
                                                       into: makeTemporaryDirectory(self))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0])), payload)
    }

    func testUnreachableFallsBackToVerifiedLocalCopy() throws {
        // The fallback holds a re-compressed copy, verified by its decompressed content (as Debian's).
        let fallback = try makeTemporaryDirectory(self)
        let recompressed = try gzipped(payload)
        _ = try write(recompressed, to: fallback, "payload.bin")
        let contentChecksum = try Checksum(.sha256, Digest.sha256Hex(payload))
        let closed = URL(string: "http://127.0.0.1:\(try freePort())/")!
        let source = DataSource(name: "test", location: .remote(base: closed),
                                files: [.init(name: "payload.bin", checksum: contentChecksum, checksumOfDecompressed: true)],
                                fallbackDirectory: fallback, advice: "install the local copy")

        let paths = try downloader(attempts: 2).fetch(source, into: makeTemporaryDirectory(self))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0])), recompressed)

        let noCopy = DataSource(name: "test", location: .remote(base: closed), files: source.files,
                                fallbackDirectory: try makeTemporaryDirectory(self), advice: "install the local copy")
        XCTAssertThrowsError(try downloader(attempts: 2).fetch(noCopy, into: makeTemporaryDirectory(self))) {
            guard case .unreachable(_, _, let advice)? = $0 as? DownloadError else { return XCTFail("\($0)") }
            XCTAssertEqual(advice, "install the local copy")
        }
    }

    func testMirrorReplacesThePublisherURL() throws {
        let closed = URL(string: "http://127.0.0.1:\(try freePort())/")!
        let paths = try downloader(attempts: 1, mirror: base("files"))
            .fetch(source(at: closed), into: makeTemporaryDirectory(self))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0])), payload)
    }

    func testVerifiedFileInPlaceIsNotFetchedAgain() throws {
        let out = try makeTemporaryDirectory(self)
        _ = try downloader().fetch(source(at: base("files")), into: out)
        let closed = URL(string: "http://127.0.0.1:\(try freePort())/")!
        XCTAssertEqual(try downloader(attempts: 1).fetch(source(at: closed), into: out), [out + "/payload.bin"])
    }

    func testLocalPathSourceIsReadDirectly() throws {
        let path = served + "/payload.bin"
        let source = try DataSource.parse(path, checksum: "sha256:" + Digest.sha256Hex(payload))
        let paths = try downloader().fetch(source, into: makeTemporaryDirectory(self))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0])), payload)
        XCTAssertThrowsError(try DataSource.parse(path)) {
            XCTAssertTrue("\($0)".contains("needs a checksum"), "\($0)")
        }
    }

    func testBuiltInSourcesAndChecksumParsing() throws {
        XCTAssertEqual(try DataSource.parse("cifar10").files.map { $0.checksum?.description },
                       ["md5:c32a1d4ab5d03f1284b67883e8d87530"])
        XCTAssertEqual(try DataSource.parse("fashion-mnist").files.count, 4)
        XCTAssertEqual(try DataSource.parse("synthetic").files, [])
        XCTAssertEqual(try Checksum(parsing: "C32A1D4AB5D03F1284B67883E8D87530").algorithm, .md5)
        XCTAssertThrowsError(try Checksum(parsing: "sha1:abcd")) {
            XCTAssertTrue("\($0)".contains("use md5 or sha256"), "\($0)")
        }
        XCTAssertThrowsError(try Checksum(.sha256, "abc"))
    }
}

/// A value shared with a callback on another thread.
final class LockedValue<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ newValue: T) { lock.lock(); value = newValue; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
