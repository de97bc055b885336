// `tlab bench streaming`: training throughput from shards against the same training from memory.
import ArgumentParser
import Benchmarks
import Foundation
import Pipeline

struct BenchStreaming: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streaming",
        abstract: "Images/s of training a frozen head from sharded features against from memory, alternately.",
        discussion: """
            Random features of a DenseNet-BC's shape are written to a temporary store twice: as one \
            tensor blob and as shards. Each round trains the study's frozen head on them from memory (the \
            whole blob read in first, as a stage did before data sets were sharded), then from the shards \
            (opening them, unpacking and prefetching included). The weights must be identical; the ratio \
            (sharded ÷ in-memory images/s) is what reading from shards costs. Shards of a split \
            that fits TLAB_DATA_MEMORY_MIB (default 512) are unpacked into memory; TLAB_DATA_MEMORY_MIB=0 \
            measures the scratch-file path every larger split takes.

            EXAMPLES:
              tlab bench streaming --examples 20000 --epochs 3 --rounds 5
              TLAB_DATA_MEMORY_MIB=0 tlab bench streaming --shard-mib 1 --prefetch 0 --json
            """)

    @Option(help: "Feature tensors to train on.")
    var examples = 20_000

    @Option(help: "Epochs per training.")
    var epochs = 3

    @Option(help: "Images per mini-batch.")
    var batch = 128

    @Option(help: "Shard size bound, in MiB.")
    var shardMib = 64

    @Option(help: "Batches fetched ahead from the shards.")
    var prefetch = StreamingBenchmark.defaultPrefetch

    @Option(help: "Alternating rounds.")
    var rounds = 5

    @Option(help: "Engine threads (default: TLAB_THREADS or the number of cores).")
    var threads: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard examples >= batch, epochs >= 1, batch >= 1, rounds >= 1, prefetch >= 0, (1...1024).contains(shardMib) else {
            throw ValidationError("need examples ≥ batch ≥ 1, epochs ≥ 1, rounds ≥ 1, prefetch ≥ 0 and shard-mib in 1...1024")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        if let threads { EngineSettings.setThreads(threads) }
        if !json { print("round   in-memory img/s   sharded img/s   sharded ÷ in-memory   threads=\(EngineSettings.threads)  \(TLab.kernelsField)") }
        let result = try StreamingBenchmark.run(examples: examples, epochs: epochs, batch: batch, shardMiB: shardMib,
                                                prefetch: prefetch, rounds: rounds) { round in
            if !json { print(String(format: "%5d %17.0f %15.0f %21.3f", round.round, round.inMemoryImagesPerSecond,
                                    round.shardedImagesPerSecond, round.ratio)) }
        }
        if json { return try JSONOutput.print(result) }
        let ratios = result.rounds.map(\.ratio).sorted()
        print(String(format: "median ratio %.3f (%.3f..%.3f) over %d rounds; %d examples of %@ in %d shards, unpacked %@; weights %@",
                     ratios[ratios.count / 2], ratios.first!, ratios.last!, ratios.count, result.examples,
                     result.featureShape.map(String.init).joined(separator: "x"), result.shards,
                     result.unpackedInMemory ? "into memory" : "to a scratch file",
                     result.identicalWeights ? "identical" : "DIFFERENT"))
    }
}
