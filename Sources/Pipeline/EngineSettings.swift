// The engine's settings a command line may choose, so the CLI need not import the engine.
import Engine

/// Process-wide engine settings.
public enum EngineSettings {
    /// Threads the engine computes with: `TLAB_THREADS` if set, else the number of cores. Results
    /// never depend on it.
    public static var threads: Int { EngineThreads.count }

    /// Uses `count` threads from now on.
    public static func setThreads(_ count: Int) { EngineThreads.set(count) }

    /// The kernel path the engine runs and why, e.g. "avx2 (fastest this CPU runs)"; throws when
    /// `TLAB_KERNELS` names a path that does not exist or cannot run on this CPU.
    public static func kernels() throws -> String { try KernelSelection.current().description }
}
