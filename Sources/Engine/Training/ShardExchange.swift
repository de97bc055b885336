/// How the processes computing one batch's shards meet. One process computing every shard is `LocalShards`.
///
/// A training stage with `shards: S` splits every batch into S contiguous image ranges fixed by the batch size and S
/// alone (`ShardSplit`). Each process computes a contiguous block of shards (`localShards`); whatever crosses shards
/// (BatchNorm batch statistics, parameter gradients, loss and metric sums) is exchanged as per-shard partial values with
/// `allGather` and folded by every process in shard-index order, never in the transport's own reduction order. So the
/// result depends on S but not on how many processes hold the shards.
///
/// Kept deliberately small: an all-gather of equal-sized per-shard blocks and a broadcast from process 0. A transport
/// (in-process `LocalShards`, or MPI outside the Engine target) implements only these.
package protocol ShardExchange: AnyObject, Sendable {
    /// Shards per batch (the stage's `shards`), fixed whatever the number of processes.
    var shardCount: Int { get }
    /// The contiguous block of shard indices this process computes.
    var localShards: Range<Int> { get }
    /// Every process passes `bytesPerShard` bytes for each of its local shards, back to back in shard order;
    /// every process gets all `shardCount` shards' bytes in shard order. Blocks until all have contributed.
    func allGather(local: UnsafeRawBufferPointer, bytesPerShard: Int, into all: UnsafeMutableRawBufferPointer) throws
    /// Rank 0's bytes to everyone (plans, stop signals).
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
}

/// Why shards cannot be spread over processes as asked.
package enum ShardExchangeError: Error, Equatable, CustomStringConvertible {
    /// More processes than the stage's `shards`: some process would hold no shard.
    case moreProcessesThanShards(processes: Int, shards: Int)
    /// A buffer passed to `allGather` does not match `bytesPerShard` times the shard count it should hold.
    case bufferSize(what: String, bytes: Int, expected: Int)

    package var description: String {
        switch self {
        case let .moreProcessesThanShards(processes, shards):
            return "the job has \(processes) processes but the stage's `shards` is \(shards); "
                + "every process needs at least one shard: run at most \(shards) processes or raise `shards` to at least \(processes)"
        case let .bufferSize(what, bytes, expected):
            return "shard exchange: the \(what) buffer has \(bytes) bytes, expected \(expected)"
        }
    }
}

/// Which contiguous block of shards each of `processCount` processes holds: the first `shardCount % processCount`
/// processes hold one shard more, so blocks are in process order and as even as they can be.
package func shardBlock(process: Int, processCount: Int, shardCount: Int) throws -> Range<Int> {
    guard processCount <= shardCount else {
        throw ShardExchangeError.moreProcessesThanShards(processes: processCount, shards: shardCount)
    }
    precondition(process >= 0 && process < processCount, "process \(process) outside 0..<\(processCount)")
    let base = shardCount / processCount, extra = shardCount % processCount
    let start = process * base + min(process, extra)
    return start..<(start + base + (process < extra ? 1 : 0))
}

/// One process computing every shard: the gather is a copy and the broadcast returns its argument.
package final class LocalShards: ShardExchange {
    package let shardCount: Int
    package var localShards: Range<Int> { 0..<shardCount }

    package init(shardCount: Int) {
        precondition(shardCount >= 1, "shardCount must be at least 1, got \(shardCount)")
        self.shardCount = shardCount
    }

    package func allGather(local: UnsafeRawBufferPointer, bytesPerShard: Int, into all: UnsafeMutableRawBufferPointer) throws {
        let expected = bytesPerShard * shardCount
        guard local.count == expected else {
            throw ShardExchangeError.bufferSize(what: "local", bytes: local.count, expected: expected)
        }
        guard all.count == expected else {
            throw ShardExchangeError.bufferSize(what: "gathered", bytes: all.count, expected: expected)
        }
        if expected > 0 { all.baseAddress!.copyMemory(from: local.baseAddress!, byteCount: expected) }
    }

    package func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
}
