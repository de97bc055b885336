// Which compiled variant of the FMA kernels (Sources/EngineKernels) the engine calls: chosen once,
// on first use, from the CPU's features or the TLAB_KERNELS environment variable.
import EngineKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An instruction-set variant of the engine's FMA kernels. Every path computes the same bits (FMA
/// in the same places, in the same order); they differ in speed only.
public enum KernelPath: String, CaseIterable, Sendable {
    /// x86-64 with AVX2 and FMA: 8-lane ymm vectors and vfmadd…ps.
    case avx2
    /// aarch64 NEON.
    case neon
    /// Any CPU of the architecture; on x86-64 SSE2 with a correctly rounded `fmaf` call per FMA lane
    /// (tens of times slower than avx2).
    case portable

    var cPath: tlk_path {
        switch self {
        case .avx2: TLK_PATH_AVX2
        case .neon: TLK_PATH_NEON
        case .portable: TLK_PATH_PORTABLE
        }
    }

    /// Whether this build has the path and this CPU runs it.
    public var runsHere: Bool { tlk_path_runs_here(cPath) != 0 }

    /// The paths this build and CPU run, fastest first (`allCases` is in that order).
    public static var runnable: [KernelPath] { allCases.filter(\.runsHere) }
}

/// The kernel path the engine runs and why.
public struct KernelSelection: Sendable, Equatable, CustomStringConvertible {
    /// The environment variable that forces a path: `TLAB_KERNELS=portable`.
    public static let environmentVariable = "TLAB_KERNELS"

    /// The path the kernels run.
    public let path: KernelPath
    /// Whether `environmentVariable` chose the path (rather than the CPU's features).
    public let forced: Bool

    /// "avx2 (fastest this CPU runs)" or "portable (forced by TLAB_KERNELS=portable)".
    public var description: String {
        "\(path.rawValue) (\(forced ? "forced by \(Self.environmentVariable)=\(path.rawValue)" : "fastest this CPU runs"))"
    }

    /// The path `forced` names (nil or empty: the fastest path this CPU runs).
    public static func resolve(forced name: String?) throws(KernelPathError) -> KernelSelection {
        guard let name, !name.isEmpty else { return KernelSelection(path: KernelPath.runnable[0], forced: false) }
        guard let path = KernelPath(rawValue: name) else { throw .unknown(name) }
        guard path.runsHere else { throw .notRunnable(path) }
        return KernelSelection(path: path, forced: true)
    }

    /// The selection the engine runs, from `environmentVariable`; throws when the variable names a
    /// path that does not exist or does not run here (the engine's kernels then stop the process).
    public static func current() throws(KernelPathError) -> KernelSelection {
        try environmentSelection.get()
    }
}

/// A path `TLAB_KERNELS` asked for that cannot run.
public enum KernelPathError: Error, Equatable, CustomStringConvertible {
    /// The value names no kernel path (`TLAB_KERNELS=avx512`).
    case unknown(String)
    /// The path exists but this build or CPU cannot run it (`TLAB_KERNELS=avx2` without AVX2).
    case notRunnable(KernelPath)

    /// The variable, the value, and the paths valid here.
    public var description: String {
        let runnable = KernelPath.runnable.map(\.rawValue).joined(separator: ", ")
        switch self {
        case .unknown(let name):
            return "\(KernelSelection.environmentVariable)=\(name) is not a kernel path; valid here: \(runnable)"
        case .notRunnable(let path):
            return "\(KernelSelection.environmentVariable)=\(path.rawValue): this CPU or build cannot run the "
                + "\(path.rawValue) kernels; valid here: \(runnable)"
        }
    }
}

/// Resolved and activated once, by the first kernel call or `KernelSelection.current()`.
private let environmentSelection: Result<KernelSelection, KernelPathError> = {
    let result = Result { () throws(KernelPathError) in
        try KernelSelection.resolve(forced: getenv(KernelSelection.environmentVariable).map { String(cString: $0) })
    }
    if case .success(let selection) = result { tlk_activate(tlk_kernels_for(selection.path.cPath)!) }
    return result
}()

/// The active kernels. The first call activates the path the environment selects, and stops the
/// process with `KernelPathError`'s message when `TLAB_KERNELS` names one that cannot run.
@inline(__always)
var kernels: tlk_kernels {
    if let active = tlk_active() { return active.pointee }
    return activateEnvironmentSelection().pointee
}

@inline(never)
private func activateEnvironmentSelection() -> UnsafePointer<tlk_kernels> {
    switch environmentSelection {
    case .success: return tlk_active()!
    case .failure(let error): fatalError("\(error)")
    }
}

/// Runs `body` with `path`'s kernels active, then restores the previous ones. Not for concurrent
/// use: the active kernels are one setting for the whole process (tests compare paths with it).
func withKernelPath<T>(_ path: KernelPath, _ body: () throws -> T) rethrows -> T {
    guard let chosen = tlk_kernels_for(path.cPath) else { preconditionFailure("\(KernelPathError.notRunnable(path))") }
    _ = kernels
    let previous = tlk_active()!
    tlk_activate(chosen)
    defer { tlk_activate(previous) }
    return try body()
}
