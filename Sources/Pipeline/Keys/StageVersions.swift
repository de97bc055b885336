// The version constants that go into every stage key. Each kind's version lives with its stage
// implementation (`Stage.version`); the engine's numerics version is the engine's own.
import Engine

extension StageKind {
    /// The semantics version of this kind's stage, as its implementation declares it.
    public var version: Int { implementation.version }

    /// The engine's numerics version, shared by every kind (owned by the engine).
    public static let engineVersion = Engine.engineVersion
}
