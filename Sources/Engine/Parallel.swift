// The engine's threads: a fixed number of workers over a fixed list of chunks.
import Dispatch
import Foundation

/// How many threads the engine uses: `TLAB_THREADS` if set, else the number of cores.
public enum EngineThreads {
    nonisolated(unsafe) private static var override: Int?

    public static var count: Int {
        if let n = override { return n }
        if let s = ProcessInfo.processInfo.environment["TLAB_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

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
public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
    let workers = min(EngineThreads.count, chunks)
    if workers <= 1 {
        for c in 0..<chunks { body(c) }
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var c = w
            while c < chunks { body(c); c += workers }
        }
    }
}
