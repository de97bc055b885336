// Long-lived worker threads that wait for parallel regions spinning first, then asleep.
//
// Why not Dispatch alone: on this VM, waking a parked thread costs ~40 µs (the idle vCPU must be
// interrupted), and `concurrentPerform` pays it on every call. A DenseNet training step runs hundreds
// of regions of 10–500 µs, and a 256x256 SGEMM takes 0.2 ms, so the wake-up was a large share of
// both. Workers here spin (yielding the core to any other runnable thread) for about a millisecond
// after each region, which covers the serial gaps between regions, then park.
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// The current region: its sequence number × 256 + how many workers take part. One atomic, so a
    /// worker that wakes late never pairs one region's number with another's worker count.
    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    /// Workers still inside the current region.
    private let running = Atomic<Int>(0)
    private let parked = Atomic<Int>(0)
    /// Set while a caller owns the pool; a second caller finds it set and goes elsewhere.
    private let busy = Atomic<Bool>(false)

    // The current region, written by the owner before `generation` is bumped.
    private var body: ((Int) -> Void)?
    private var chunks = 0

    private var workers = 0
    private let wake = NSCondition()

    /// Yields before a waiting worker parks: with nothing else runnable each is well under a
    /// microsecond, so this is on the order of a millisecond.
    private static let spinsBeforeParking = 2000

    /// Runs `body` over `chunks` on the caller and `threads - 1` workers; false (nothing run) when
    /// another caller holds the pool.
    func run(chunks: Int, threads requested: Int, _ body: (Int) -> Void) -> Bool {
        let threads = min(requested, 256)
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers < threads - 1 { startWorker(index: workers) }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.chunks = chunks
            nextChunk.store(0, ordering: .relaxed)
            running.store(threads - 1, ordering: .relaxed)
            let region = generation.load(ordering: .relaxed) / 256 + 1
            generation.store(region * 256 + threads - 1, ordering: .sequentiallyConsistent)
            if parked.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            takeChunks()
            while running.load(ordering: .acquiring) > 0 { sched_yield() }
            self.body = nil
        }
        return true
    }

    private func takeChunks() {
        let body = self.body!, chunks = self.chunks
        while case let c = nextChunk.add(1, ordering: .relaxed).oldValue, c < chunks { body(c) }
    }

    private func startWorker(index: Int) {
        workers += 1
        // Read here, before this region is published: a thread that starts late must still join it.
        let seen = generation.load(ordering: .relaxed)
        let thread = Thread { [unowned self] in self.work(index: index, seen: seen) }
        thread.name = "tlab-engine-\(index + 1)"
        thread.start()
    }

    private func work(index: Int, seen start: Int) {
        var seen = start
        while true {
            seen = waitForRegion(after: seen)
            // Workers beyond this region's thread count sit it out (tests switch 2 threads to 1).
            if index < seen % 256 {
                takeChunks()
                running.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Returns the new `generation` once it differs from `seen`.
    private func waitForRegion(after seen: Int) -> Int {
        for _ in 0..<WorkerPool.spinsBeforeParking {
            let now = generation.load(ordering: .acquiring)
            if now != seen { return now }
            sched_yield()
        }
        wake.lock()
        parked.add(1, ordering: .sequentiallyConsistent)
        var now = generation.load(ordering: .sequentiallyConsistent)
        while now == seen {
            wake.wait()
            now = generation.load(ordering: .sequentiallyConsistent)
        }
        parked.subtract(1, ordering: .sequentiallyConsistent)
        wake.unlock()
        return now
    }
}
