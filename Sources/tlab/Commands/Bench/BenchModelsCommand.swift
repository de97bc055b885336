// `tlab bench models`: training and inference images/s of whole DenseNets on random data;
// `benchmarks/run-models.sh` runs it alternately with the PyTorch reference.
import ArgumentParser
import Benchmarks
import Foundation
import Pipeline

extension ModelBenchmark.Mode: ExpressibleByArgument {}

struct BenchModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Training and inference images/s of DenseNet-BC-40-12 and DenseNet-121 (median of runs).",
        discussion: """
            A training step is the engine's Trainer step: forward, softmax cross-entropy, backward and \
            an Adam update, on random images and labels. Inference is a forward in inference mode. Each \
            case: one warm-up step, then per run a loop of at least 3 steps and 0.5 s; the median run \
            counts. Peak RSS is the process's so far: run one --case per process to read a case's own.

            EXAMPLES:
              tlab bench models --threads 2
              tlab bench models --case densenet-121-155x155 --runs 3 --json
              tlab bench models --case densenet-121-32x32 --mode infer
              tlab bench models --case densenet-bc --mode train --shards 4
            """)

    @Option(help: "Timed runs per case.")
    var runs = 5

    @Option(help: "Engine threads (default: TLAB_THREADS or the number of cores).")
    var threads: Int?

    @Option(name: .customLong("case"), help: ArgumentHelp(
        "Only cases whose name contains this text (\(ModelBenchmark.names.joined(separator: ", "))).",
        valueName: "name"))
    var caseName: String?

    @Option(help: ArgumentHelp("What to time: train, infer or both.", valueName: "mode"))
    var mode: ModelBenchmark.Mode = .both

    @Option(help: "Split each training batch into this many shards, all computed in this process (the stages' `shards`).")
    var shards = 1

    @Flag(help: "Print one JSON array instead of a table.")
    var json = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, got \(runs)") }
        guard try shards >= 1 && shards <= ModelBenchmark.all().map(\.batch).min()! else {
            throw ValidationError("--shards must be between 1 and the smallest case's batch, got \(shards)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let caseName, !ModelBenchmark.names.contains(where: { $0.contains(caseName) }) {
            throw ValidationError("no case matches --case \(caseName); cases: \(ModelBenchmark.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        if let threads { EngineSettings.setThreads(threads) }
        let cases = try ModelBenchmark.all().filter { caseName == nil || $0.name.contains(caseName!) }
        if !json {
            print("case                                 images/s   GFLOP/s   median ms  (min..max ms)   peak RSS MiB"
                  + "  threads=\(EngineSettings.threads)  \(TLab.kernelsField)")
        }
        var results: [ModelBenchmark.Result] = []
        for benchmark in cases {
            for result in try benchmark.measure(runs: runs, mode: mode, shards: shards) {
                results.append(result)
                if !json { print(result.line) }
            }
        }
        if json { try JSONOutput.print(results) }
    }
}
