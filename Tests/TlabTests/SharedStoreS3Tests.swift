// The team set-up in full: lineage in PostgreSQL, blobs in an S3 bucket (moto on loopback), each
// machine with its own local cache. Two machines run the smoke pipeline together, a third with an
// empty cache reuses everything, and an object corrupted in the bucket is detected and replaced.
import Foundation
import Store
import TestSupport
import XCTest

extension SharedStoreTests {
    /// A store file for machine `name`: the database over loopback (moto listens on loopback only,
    /// so these machines are processes, not namespaces), the bucket, and a cache of its own.
    private func bucketStore(in folder: URL, database: String, bucket: String, machine name: String) throws -> String {
        let file = "\(name).yaml"
        try """
            lineage: \(try postgres().connectionString(database: database))
            blobs: s3://\(bucket)/team
            cache: cache-\(name)
            """.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
        return file
    }

    /// moto without its signature check: moto 5 recomputes signatures from the percent-decoded URL,
    /// so it rejects the correctly signed listing of prefix `team/` (see `MotoServer.shared`).
    private func moto() throws -> MotoServer {
        do {
            return try MotoServer.shared(checkSignatures: false)
        } catch MotoServer.Failure.unavailable(let reason) {
            throw missingService(reason)
        }
    }

    func testMachinesSharingAPostgreSQLLineageAndABucketComputeOnceAndHealACorruptObject() throws {
        let moto = try moto()
        let bucket = "team-" + UUID().uuidString.prefix(8).lowercased()
        try moto.createBucket(bucket)
        let folder = try makeSmokeFolder()
        let database = try freshDatabase()
        let environment = moto.environment.merging(try postgres().environment) { $1 }
        let stores = try ["a", "b", "c", "d"].map { try bucketStore(in: folder, database: database, bucket: bucket, machine: $0) }

        let runs = try (0..<2).map { index in
            try startTlab(["run", "smoke.yaml", "--store", stores[index], "--quiet", "--reports", "r\(index)", "--lease", "5"],
                          in: folder, log: "machine-\(index)", environment: moto.environment)
        }
        for run in runs { try run.finish(within: 300) }
        for run in runs { XCTAssertEqual(run.status, 0, run.output) }
        let lineage = try LineageDatabase(postgres: try postgres().connectionString(database: database))
        try assertEachKeyComputedOnce(lineage, keys: 18)
        try assertOutputsMatchOneMachine(lineage)
        for run in runs { XCTAssertFalse(run.output.contains(moto.secretAccessKey), "no credential in a log") }

        let verified = try tlab(["verify", "--store", stores[0], "--remote-content"], in: folder, environment: environment)
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("s3://\(bucket)/team: "), verified.stdout)

        // A machine with an empty cache computes nothing: it downloads what it reads, verified.
        let third = try tlab(["run", "smoke.yaml", "--store", stores[2], "--quiet", "--reports", "r2"], in: folder,
                             environment: environment)
        XCTAssertEqual(third.status, 0, third.stdout + third.stderr)
        XCTAssertTrue(third.stdout.contains("0 computed, 20 cached"), third.stdout)

        // Another blob's bytes put in place of pretrain's weights: a valid zstd frame, wrong content.
        let weights = try XCTUnwrap(lineage.latestStageRun(stage: "pretrain")?.outputs["weights"])
        let other = try XCTUnwrap(lineage.latestStageRun(stage: "prep")?.outputs["info"])
        let key = { (hash: String) in "team/\(hash.prefix(2))/\(hash.dropFirst(2)).zst" }
        try runPython("""
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2],
                              aws_secret_access_key=sys.argv[3])
            body = s3.get_object(Bucket=sys.argv[4], Key=sys.argv[6])["Body"].read()
            s3.put_object(Bucket=sys.argv[4], Key=sys.argv[5], Body=body)
            """, arguments: [moto.endpoint.absoluteString, moto.accessKeyID, moto.secretAccessKey, bucket, key(weights), key(other)])
        let fourth = try tlab(["run", "smoke.yaml", "--store", stores[3], "--reports", "r3", "--verify-outputs"], in: folder,
                              environment: environment)
        XCTAssertEqual(fourth.status, 0, fourth.stdout + fourth.stderr)
        XCTAssertTrue(fourth.stdout.contains("start    pretrain  key "), "the damaged stage is recomputed:\n\(fourth.stdout)")
        XCTAssertEqual(try lineage.latestStageRun(stage: "pretrain")?.outputs["weights"], weights)
        let healed = try tlab(["verify", "--store", stores[0], "--remote-content"], in: folder, environment: environment)
        XCTAssertEqual(healed.status, 0, "the recomputed weights replaced the bad object:\n" + healed.stdout + healed.stderr)
    }

    func testARunRidesOutAnS3OutageInTheMiddleOfAFineTuneAndRecordsTheSameBits() throws {
        let moto = try moto()
        let bucket = "outage-" + UUID().uuidString.prefix(8).lowercased()
        try moto.createBucket(bucket)
        let folder = try makeSmokeFolder()
        let database = try freshDatabase()
        let file = try bucketStore(in: folder, database: database, bucket: bucket, machine: "a")
        let proxy = try FaultyProxy(upstream: moto.port, matching: "no request matches this", mode: .cutFirstResponse,
                                    log: folder.appendingPathComponent("proxy.log"), test: self)
        var environment = moto.environment
        environment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        environment.removeValue(forKey: "AWS_ENDPOINT_URL_S3")
        // AWS_MAX_ATTEMPTS would cap the attempts the budget allows.
        environment.removeValue(forKey: "AWS_MAX_ATTEMPTS")
        let run = try startTlab(["run", "smoke.yaml", "--store", file, "--reports", "r", "--retry-budget", "120"],
                                in: folder, log: "outage", environment: environment)
        let deadline = Date().addingTimeInterval(300)
        while run.isRunning, !run.output.contains("start    finetune"), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(run.output.contains("start    finetune"), run.output)
        // The bucket's server is down for thirty seconds while fine-tuning goes on; stages finishing
        // meanwhile wait to put their outputs.
        proxy.stop()
        Thread.sleep(forTimeInterval: 30)
        _ = try FaultyProxy(upstream: moto.port, matching: "no request matches this", mode: .cutFirstResponse,
                            log: folder.appendingPathComponent("proxy.log"), test: self, port: proxy.port)
        try run.finish(within: 600)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("tlab: waiting for S3 at \(proxy.endpoint.absoluteString)"), run.output)
        XCTAssertTrue(run.output.contains("tlab: the server answers again after"), run.output)
        try assertOutputsMatchOneMachine(LineageDatabase(postgres: try postgres().connectionString(database: database)))
    }
}
