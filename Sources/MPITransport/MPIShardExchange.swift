// The engine's ShardExchange over the ranks of an MPI job: rank r computes the r-th contiguous block
// of a stage's shards (`shardBlock`), and the per-shard blocks go to every rank in shard order. The
// engine folds them itself, in shard order, so no sum depends on the number of ranks.
import Engine

/// `shardCount` shards spread over the ranks of `world`.
package final class MPIShardExchange: ShardExchange, @unchecked Sendable {
    package let shardCount: Int
    package let localShards: Range<Int>
    let world: MPIWorld
    /// Shards per rank, by rank.
    let blockSizes: [Int]

    /// Fails with `ShardExchangeError.moreProcessesThanShards` when the job has more ranks than shards.
    package init(world: MPIWorld, shardCount: Int) throws {
        self.world = world
        self.shardCount = shardCount
        blockSizes = try (0..<world.size).map { try shardBlock(process: $0, processCount: world.size, shardCount: shardCount).count }
        localShards = try shardBlock(process: world.rank, processCount: world.size, shardCount: shardCount)
    }

    package func allGather(local: UnsafeRawBufferPointer, bytesPerShard: Int, into all: UnsafeMutableRawBufferPointer) throws {
        let expected = bytesPerShard * localShards.count
        guard local.count == expected else {
            throw ShardExchangeError.bufferSize(what: "local", bytes: local.count, expected: expected)
        }
        guard all.count == bytesPerShard * shardCount else {
            throw ShardExchangeError.bufferSize(what: "gathered", bytes: all.count, expected: bytesPerShard * shardCount)
        }
        try world.allGather(local, counts: blockSizes.map { $0 * bytesPerShard }, into: all)
    }

    package func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        try world.broadcast(bytes)
    }
}
