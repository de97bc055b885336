// The engine's numerics version, which goes into every stage key beside the kind's own version
// (`StageDefinition.version`).
import Engine

extension StageKind {
    /// The engine's numerics version, shared by every kind (owned by the engine).
    public static let engineVersion = Engine.engineVersion
}
