// Tests that need a real service or tool (PostgreSQL, moto's S3 server, the ONNX venv, qemu-user, Open MPI, network namespaces,
// a mountable tmpfs) skip where it is missing on a developer's machine. CI must not pass that way: `.ci/run` sets
// TLAB_REQUIRE_SERVICES=1, which turns each such skip into a failure naming what is missing.
import Foundation
import XCTest

/// The error a test throws when a service it needs is missing: an `XCTSkip` saying why, or, with
/// TLAB_REQUIRE_SERVICES=1 in the environment, a failure.
public func missingService(_ reason: String, file: StaticString = #filePath, line: UInt = #line) -> Error {
    guard servicesAreRequired else { return XCTSkip(reason, file: file, line: line) }
    return MissingService(reason: reason)
}

/// Whether this test run must have every service (TLAB_REQUIRE_SERVICES=1, as `.ci/run` sets it).
public var servicesAreRequired: Bool { ProcessInfo.processInfo.environment["TLAB_REQUIRE_SERVICES"] == "1" }

/// A service a test needs is missing in a run that requires them all.
public struct MissingService: Error, CustomStringConvertible {
    public let reason: String
    public var description: String {
        "\(reason) (TLAB_REQUIRE_SERVICES=1: this run needs PostgreSQL, moto, the ONNX venv, qemu-user, Open MPI, network namespaces and tmpfs mounts; "
            + "scripts/setup installs them, and namespaces and mounts need root)"
    }
}
