// Fetching the next batches on a background thread while the network computes on the current one:
// reading shards from disk and converting pixels overlaps training. The batches and their order are
// fixed before fetching starts, so the depth changes only timing, never a result.
import Foundation

/// Yields the batches of a fixed list of index batches from a source, fetched up to `depth` batches
/// ahead on a background thread (depth 0: fetched on the caller's thread when asked for).
/// Augmentation, if any, is applied as each batch is fetched, with draws keyed by example index.
public final class BatchPrefetcher {
    /// Batches fetched ahead when nothing else is said: two keep the compute thread fed while one
    /// is being read, and bound memory to three batches.
    public static let defaultDepth = 2

    private let source: ExampleSource
    private let batches: [[Int]]
    private let augmentation: Augmentation
    private let random: CounterRandom
    private let depth: Int
    private let state = State()
    private var next = 0
    private var thread: Thread?

    /// Shared between the caller and the fetching thread; every access holds `condition`.
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [Int: (Tensor, [Int])] = [:]
        var consumed = 0
        var failure: Error?
        var cancelled = false
        var finished = false
    }

    public init(source: ExampleSource, batches: [[Int]], depth: Int = defaultDepth,
                augmentation: Augmentation = .none, random: CounterRandom = CounterRandom(seed: 0)) {
        precondition(depth >= 0, "prefetch depth must not be negative, got \(depth)")
        self.source = source
        self.batches = batches
        self.augmentation = augmentation
        self.random = random
        self.depth = depth
        if depth > 0 && !batches.isEmpty {
            let thread = Thread { [source, batches, augmentation, random, depth, state] in
                Self.fetchAll(source: source, batches: batches, augmentation: augmentation, random: random,
                              depth: depth, state: state)
            }
            thread.name = "tlab-prefetch"
            thread.stackSize = 1 << 20
            self.thread = thread
            thread.start()
        }
    }

    deinit {
        state.condition.lock()
        state.cancelled = true
        state.condition.broadcast()
        // Wait for the thread to leave: it must not outlive the source it reads.
        while thread != nil && !state.finished { state.condition.wait() }
        state.condition.unlock()
    }

    /// The next batch (inputs [B, C, H, W] and labels), or nil after the last. Rethrows a failure to
    /// read the source, at the batch that could not be read.
    public func nextBatch() throws -> (inputs: Tensor, labels: [Int])? {
        guard next < batches.count else { return nil }
        defer { next += 1 }
        guard thread != nil else {
            return try Self.fetch(batches[next], from: source, augmentation: augmentation, random: random)
        }
        state.condition.lock()
        defer { state.condition.unlock() }
        while state.ready[next] == nil {
            if let failure = state.failure { throw failure }
            state.condition.wait()
        }
        let batch = state.ready.removeValue(forKey: next)!
        state.consumed = next + 1
        state.condition.broadcast()
        return batch
    }

    private static func fetchAll(source: ExampleSource, batches: [[Int]], augmentation: Augmentation,
                                 random: CounterRandom, depth: Int, state: State) {
        defer {
            state.condition.lock()
            state.finished = true
            state.condition.broadcast()
            state.condition.unlock()
        }
        for (i, indices) in batches.enumerated() {
            state.condition.lock()
            while i - state.consumed >= depth && !state.cancelled { state.condition.wait() }
            let cancelled = state.cancelled
            state.condition.unlock()
            if cancelled { return }
            do {
                let batch = try fetch(indices, from: source, augmentation: augmentation, random: random)
                state.condition.lock()
                state.ready[i] = batch
                state.condition.broadcast()
                state.condition.unlock()
            } catch {
                state.condition.lock()
                state.failure = error
                state.condition.broadcast()
                state.condition.unlock()
                return
            }
        }
    }

    /// One batch: gathered, then augmented when asked.
    private static func fetch(_ indices: [Int], from source: ExampleSource, augmentation: Augmentation,
                              random: CounterRandom) throws -> (Tensor, [Int]) {
        let (inputs, labels) = try source.batch(indices)
        guard augmentation != .none else { return (inputs, labels) }
        let augmented = Tensor(zeros: inputs.shape)
        for (b, example) in indices.enumerated() {
            copyAugmented(from: inputs, image: b, to: augmented, image: b, augmentation: augmentation,
                          random: random.stream(UInt64(example)))
        }
        return (augmented, labels)
    }
}
