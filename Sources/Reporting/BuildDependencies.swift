// The exact versions of the packages tlab is built with, as Package.swift pins them (`exact:`), so a
// report names everything its numbers were computed with. A test parses Package.swift and fails
// when the two drift.

/// A package at one exact version.
public struct DependencyVersion: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The package's repository name, as its URL in Package.swift ends (`GRDB.swift`).
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    /// `GRDB.swift 7.10.0`.
    public var description: String { "\(name) \(version)" }
}

/// The packages this build links, at the versions Package.swift pins.
public enum BuildDependencies {
    public static let pinned = [
        DependencyVersion(name: "FlyingFox", version: "0.27.1"),
        DependencyVersion(name: "GRDB.swift", version: "7.10.0"),
        DependencyVersion(name: "swift-argument-parser", version: "1.8.2"),
        DependencyVersion(name: "Yams", version: "6.2.2"),
    ]
}
