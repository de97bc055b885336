// Shared setup for the lineage tests: a fresh database (a SQLite file, or a PostgreSQL database for
// test classes marked `PostgresBacked`), and artifact values.
import Foundation
import TestSupport
import XCTest
@testable import Store

extension XCTestCase {
    /// A fresh lineage database opened as `identity`: SQLite in a scratch folder, or, in a
    /// `PostgresBacked` class, a new database on the class's PostgreSQL server.
    func makeLineageDatabase(identity: ProcessIdentity = .current) throws -> LineageDatabase {
        if let connection = try PostgresFixture.freshDatabase(for: self) {
            return try LineageDatabase(postgres: connection, identity: identity)
        }
        return try LineageDatabase(path: makeScratchFolder().appendingPathComponent("lineage.sqlite").path,
                                   identity: identity)
    }
}

/// A test class whose lineage databases live on PostgreSQL: it starts its server in `setUp()` (the
/// class method) with `PostgresFixture.start(for: self)` and stops it in `tearDown()`.
protocol PostgresBacked: XCTestCase {}

/// One PostgreSQL server per `PostgresBacked` test class.
enum PostgresFixture {
    nonisolated(unsafe) private static var servers: [ObjectIdentifier: Result<PostgresServer, Error>] = [:]

    static func start(for type: AnyClass) {
        let server = Result { try PostgresServer() }
        servers[ObjectIdentifier(type)] = server
        setenv("PGPASSWORD", PostgresServer.processPassword, 1)
    }

    static func stop(for type: AnyClass) {
        if case .success(let server) = servers.removeValue(forKey: ObjectIdentifier(type)) { server.stop() }
    }

    /// The class's server, or `missingService` naming why there is none.
    static func server(for test: XCTestCase) throws -> PostgresServer? {
        guard test is PostgresBacked else { return nil }
        switch servers[ObjectIdentifier(type(of: test))] {
        case .success(let server)?: return server
        case .failure(PostgresServer.Failure.unavailable(let reason))?: throw missingService(reason)
        case .failure(let error)?: throw error
        case nil: throw missingService("\(type(of: test)) did not start its PostgreSQL server in setUp()")
        }
    }

    /// A connection string to a new, empty database, or nil for a SQLite-backed test.
    static func freshDatabase(for test: XCTestCase) throws -> String? {
        guard let server = try server(for: test) else { return nil }
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try server.psql("CREATE DATABASE \(name) OWNER \(server.user)", database: "postgres")
        return server.connectionString(database: name)
    }
}

/// An artifact whose hash is the SHA-256 of `label`, so tests can name artifacts by word.
func artifact(_ label: String, mediaType: MediaType = .tensor) -> ArtifactRecord {
    ArtifactRecord(hash: Digest.sha256Hex(Data(label.utf8)), mediaType: mediaType,
                   rawBytes: Int64(label.utf8.count), storedBytes: Int64(label.utf8.count) + 9)
}

/// A blob store with its lineage database beside it, as `tlab` lays them out, for verify and gc tests.
struct RecordedStore {
    let store: BlobStore
    let lineage: LineageDatabase

    init(root: URL, lineage: LineageDatabase? = nil) throws {
        store = try BlobStore.open(root: root)
        self.lineage = try lineage ?? LineageDatabase(path: root.appendingPathComponent("lineage.sqlite").path)
    }

    /// Runs `pipeline` once with one stage `key` that writes `outputs` (port → bytes) to the store and
    /// records them; returns the run id and the output hashes by port.
    @discardableResult
    func record(pipeline: String = "default", key: String, outputs: [String: Data],
                status: RunStatus = .finished) throws -> (run: Int64, hashes: [String: String]) {
        let run = try lineage.startRun(pipeline: pipeline, pipelineHash: "p", seed: nil, toolVersion: "0.1")
        let stage = try lineage.startStageRun(runID: run.id!, key: key, stage: key, kind: "evaluate", params: "{}")
        let artifacts = try outputs.mapValues { ArtifactRecord(blob: try store.put($0), mediaType: .json) }
        try lineage.finishStageRun(stage.id!, inputs: [:], outputs: artifacts, seconds: 0)
        try lineage.finishRun(run.id!, status: status)
        return (run.id!, artifacts.mapValues(\.hash))
    }

    /// Makes blob `hash` look written `seconds` ago, as if a gc came by later.
    func age(_ hash: String, by seconds: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -seconds)],
                                              ofItemAtPath: store.path(of: hash).path)
    }
}
