// The engine's threads: a fixed number of workers over a fixed list of chunks.
import Dispatch
import Foundation

/// How many threads the engine uses: `TLAB_THREADS` if set, else the number of cores.
public enum EngineThreads {
    nonisolated(unsafe) private static var override: Int?

    /// Read once: the environment does not change under a running process, and building
    /// `ProcessInfo.environment` on every parallel region would cost more than small regions do.
    private static let configured: Int = {
        if let s = ProcessInfo.processInfo.environment["TLAB_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    public static var count: Int { override ?? configured }

    /// Sets the thread count for this process (tests compare 1 and 2 threads); `nil` restores the default.
    public static func set(_ n: Int?) {
        precondition(n == nil || n! > 0, "thread count must be positive")
        override = n
    }
}

/// Runs `body(chunk)` for every chunk in `0..<chunks`, spread over `EngineThreads.count` workers.
///
/// Reproducibility rests on the caller: chunks are fixed by the problem (never by the thread count),
/// each chunk writes only its own outputs, and any reduction across chunks happens afterwards, in
/// chunk order. Then 1 and 2 threads give bit-identical results.
///
/// Workers take the next chunk from a shared counter rather than a fixed share, so a worker that the
/// OS deschedules (another process holding a core) does not hold everyone at the end: which thread
/// computes a chunk never changes what the chunk computes.
public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
    let workers = min(EngineThreads.count, chunks)
    if workers <= 1 {
        for c in 0..<chunks { body(c) }
        return
    }
    if WorkerPool.shared.run(chunks: chunks, threads: workers, body) { return }
    // The pool is busy: a parallel region nested in another, or a second thread (two pipeline stages
    // at once). Dispatch's pool serves those; it is only slower to start.
    let next = ChunkCounter()
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while case let c = next.take(), c < chunks { body(c) }
        }
    }
}

/// Hands out 0, 1, 2, … to whichever worker asks; chunks are coarse, so a lock costs nothing measurable.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
