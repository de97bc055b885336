// `tlab bench kernels`: GFLOP/s of the engine's SGEMM, a 3x3 convolution and a DenseNet-BC layer;
// `benchmarks/run.sh` runs it alternately with the numpy and PyTorch references.
import ArgumentParser
import Benchmarks
import Foundation
import Pipeline

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "SGEMM, conv 3x3 and DenseNet-BC layer throughput (median of runs)."
    )

    @Option(help: "Timed runs per case; each run repeats the case for at least 0.3 s.")
    var runs = 5

    @Option(help: "Engine threads (default: TLAB_THREADS or the number of cores).")
    var threads: Int?

    @Option(help: "Only cases whose name contains this text (e.g. sgemm, conv, densenet).")
    var only: String?

    @Flag(help: "Print one JSON array instead of a table.")
    var json = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, got \(runs)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        if let threads { EngineSettings.setThreads(threads) }
        let cases = KernelBenchmark.all.filter { only == nil || $0.name.contains(only!) }
        guard !cases.isEmpty else { throw ValidationError("no benchmark case matches --only \(only!)") }
        var results: [KernelBenchmark.Result] = []
        if !json {
            print("case                                   GFLOP/s   images/s   median ms  (min..max ms)  GFLOP/CPU-s"
                  + "  threads=\(EngineSettings.threads)  \(TLab.kernelsField)")
        }
        for benchmark in cases {
            let result = benchmark.measure(runs: runs)
            results.append(result)
            if !json { print(result.line) }
        }
        if json { try JSONOutput.print(results) }
    }
}
