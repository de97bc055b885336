// Multi-process tests of the blob store: the test bundle re-runs itself as child processes (selected
// by an environment variable) that put blobs concurrently or get killed in the middle of a put.
import Foundation
import XCTest
@testable import Store

final class BlobCrashTests: XCTestCase {
    static let roleVariable = "TLAB_STORE_TEST_ROLE"
    static let rootVariable = "TLAB_STORE_TEST_ROOT"
    static let seedVariable = "TLAB_STORE_TEST_SEED"

    /// The content every concurrent writer puts, and the one only writer `seed` puts.
    static func sharedBlob() -> Data { testBytes(3 << 20, seed: 1) }
    static func ownBlob(seed: UInt64) -> Data { testBytes(1 << 20, seed: 100 + seed) }

    /// Not a test on its own: the body of a child process started by the tests below.
    func testChildWriter() throws {
        let env = ProcessInfo.processInfo.environment
        guard let role = env[Self.roleVariable], let root = env[Self.rootVariable] else {
            throw XCTSkip("runs only as a child process of the other BlobCrashTests")
        }
        let store = try BlobStore.open(root: URL(fileURLWithPath: root))
        let lock = try StoreLock(root: store.root, mode: .shared, wait: true)
        defer { lock.release() }
        switch role {
        case "put":
            let seed = UInt64(env[Self.seedVariable] ?? "0")!
            for _ in 0..<6 {
                try store.put(Self.sharedBlob())
                try store.put(Self.ownBlob(seed: seed))
            }
        case "slow-put":
            // Far more than it will get to write: the parent kills it after the started marker appears.
            let chunk = testBytes(1 << 20, seed: 7)
            try store.put(rawBytes: 1 << 30) { writer in
                for i in 0..<1024 {
                    try writer.write(chunk)
                    if i == 3 { _ = FileManager.default.createFile(atPath: root + "/started", contents: nil) }
                    usleep(20_000)
                }
            }
            XCTFail("the slow put should have been killed before finishing")
        default:
            XCTFail("unknown child role \(role)")
        }
    }

    func testTwoProcessesPuttingTheSameAndDifferentBlobsAtOnceBothSucceed() throws {
        let root = try makeScratchFolder()
        _ = try BlobStore.open(root: root)
        let children = try (1...2).map { seed in
            try startChild(role: "put", root: root, extra: [Self.seedVariable: "\(seed)"])
        }
        for child in children {
            child.waitUntilExit()
            XCTAssertEqual(child.terminationStatus, 0, "a concurrent writer failed")
        }
        let store = try BlobStore.open(root: root, create: false)
        let expected = [Self.sharedBlob(), Self.ownBlob(seed: 1), Self.ownBlob(seed: 2)].map(Digest.sha256Hex)
        XCTAssertEqual(try store.allHashes(), expected.sorted())
        for hash in expected { XCTAssertEqual(store.verify(hash), .intact) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [])
    }

    func testKillingAWriterMidBlobLeavesNoVisibleBlobAndAStaleTempThatIsCleaned() throws {
        let root = try makeScratchFolder()
        let store = try BlobStore.open(root: root)
        let child = try startChild(role: "slow-put", root: root)
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: root.path + "/started") && child.isRunning && Date() < deadline {
            usleep(10_000)
        }
        XCTAssertTrue(child.isRunning, "the child ended before it could be killed")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)

        XCTAssertEqual(try store.allHashes(), [], "a killed put must not leave a visible blob")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.tmpPath)
        XCTAssertEqual(leftovers.count, 1, "the killed put's temporary file stays until cleanup")
        XCTAssertEqual(try store.removeStaleTemporaries(olderThan: 0), 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.tmpPath), [])
        // The kernel dropped the dead child's shared lock, so gc can take the store.
        XCTAssertNoThrow(try StoreLock(root: root, mode: .exclusive))
        let info = try store.put(testBytes(1 << 20, seed: 7))
        XCTAssertEqual(store.verify(info.hash), .intact)
    }

    /// Starts this test bundle as a child process running `testChildWriter` in `role`.
    private func startChild(role: String, root: URL, extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Bundle.main.executableURL
        process.arguments = ["StoreTests.BlobCrashTests/testChildWriter"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.roleVariable] = role
        environment[Self.rootVariable] = root.path
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
