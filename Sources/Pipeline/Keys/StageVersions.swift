// The version constants that go into every stage key. Each kind's version lives with its stage
// implementation (`Stage.version`); the engine's numerics version is derived from the engine's own.
import Engine

extension StageKind {
    /// The semantics version of this kind's stage, as its implementation declares it.
    public var version: Int { implementation.version }

    /// The engine's numerics version, shared by every kind: `Engine.engineVersion` ("major.minor.patch")
    /// as major·10⁶ + minor·10³ + patch, so bumping the engine's version invalidates every cache.
    public static let engineVersion: Int = Engine.engineVersion.split(separator: ".")
        .map { Int($0) ?? 0 }.reduce(0) { $0 * 1000 + $1 }
}
