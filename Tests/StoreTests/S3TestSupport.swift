// A fresh bucket per test on the shared moto server (TestSupport's `MotoServer`, with authentication
// on so botocore checks every request's SigV4 signature); TestSupport's `FaultyProxy` goes in front of it.
import Foundation
import TestSupport
import XCTest
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

/// One test's bucket on a shared moto server.
struct MotoBucket {
    let server: MotoServer
    let bucket: String

    private static let lock = NSLock()
    nonisolated(unsafe) private static var bucketCount = 0

    /// A fresh bucket for the running test; skips the test when python3 or moto is not installed.
    static func start(for test: XCTestCase, checkSignatures: Bool = true) throws -> MotoBucket {
        let server: MotoServer
        do {
            server = try MotoServer.shared(checkSignatures: checkSignatures)
        } catch MotoServer.Failure.unavailable(let reason) {
            throw missingService(reason)
        }
        let number = lock.withLock { bucketCount += 1; return bucketCount }
        let bucket = MotoBucket(server: server, bucket: "tlab-test-\(number)")
        try bucket.client().createBucket()
        return bucket
    }

    var port: Int { server.port }
    var accessKeyID: String { server.accessKeyID }
    var secretAccessKey: String { server.secretAccessKey }
    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    var credentials: S3Credentials { S3Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey) }

    /// A configuration for this server: small parts, and quick retries so failure tests stay short.
    func configuration(endpoint: URL? = nil, credentials: S3Credentials? = nil, partSize: Int = 64 << 10,
                       retry: S3RetryPolicy = S3RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2, maxTotal: 10),
                       signPayload: Bool = true) -> S3Configuration {
        S3Configuration(endpoint: endpoint ?? self.endpoint, region: "us-east-1", credentials: credentials ?? self.credentials,
                        addressing: .path, retry: retry, partSize: partSize, idleTimeout: 20, signPayload: signPayload)
    }

    func client(_ configuration: S3Configuration? = nil) -> S3Client {
        S3Client(bucket: bucket, configuration: configuration ?? self.configuration())
    }

    func remote(prefix: String = "blobs", configuration: S3Configuration? = nil) throws -> S3BlobRemote {
        S3BlobRemote(location: try S3Location(bucket: bucket, prefix: prefix), configuration: configuration ?? self.configuration())
    }

    /// The standard variables that point at this server.
    var environment: [String: String] { server.environment }

}
