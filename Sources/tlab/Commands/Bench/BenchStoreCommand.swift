// `tlab bench store`: put and get+verify throughput of the artifact store on a float32 tensor.
import ArgumentParser
import Foundation
import Store

struct BenchStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Put and get+verify a float32 tensor blob; print MB/s (median and range of the runs)."
    )

    @OptionGroup var tensor: TensorBenchmarkOptions

    func run() throws {
        let (sizeMib, level, runs) = (tensor.sizeMib, tensor.level, tensor.runs)
        let result = try StoreBenchmark.run(byteCount: sizeMib << 20, level: level, runs: runs,
                                            scratch: URL(fileURLWithPath: tensor.dir))
        print("store: \(sizeMib) MiB float32 tensor, zstd level \(level), \(runs) runs, ratio \(String(format: "%.3f", result.compressionRatio)), "
              + TLab.kernelsField)
        print("put:        \(Self.summary(result.putMBps))")
        print("            CPU s all threads: \(cpu(result.putCPUSeconds)); calling thread: \(cpu(result.putCallerCPUSeconds))")
        print("get+verify: \(Self.summary(result.readMBps))")
        print("            CPU s all threads: \(cpu(result.readCPUSeconds)); calling thread: \(cpu(result.readCallerCPUSeconds))")
        print("sha-256:    \(Self.summary(result.hashMBps))")
    }

    private func cpu(_ seconds: [Double]) -> String {
        seconds.map { String(format: "%.2f", $0) }.joined(separator: ", ")
    }

    static func summary(_ values: [Double]) -> String {
        let sorted = values.sorted()
        let median = sorted[sorted.count / 2]
        let all = values.map { String(format: "%.0f", $0) }.joined(separator: ", ")
        return String(format: "median %.0f MB/s (min %.0f, max %.0f; runs: %@)", median, sorted.first!, sorted.last!, all)
    }
}

/// The tensor, the rounds and the scratch folder of the store benchmarks (`store`, `s3`).
struct TensorBenchmarkOptions: ParsableArguments {
    @Option(help: "Tensor size in MiB.")
    var sizeMib: Int = 1024

    @Option(help: "zstd compression level.")
    var level: Int = 3

    @Option(help: "How many put + read rounds to time.")
    var runs: Int = 3

    @Option(help: "Folder for the scratch store (removed afterwards); use the disk the real store (or cache) is on.")
    var dir: String = FileManager.default.temporaryDirectory.path

    func validate() throws {
        guard sizeMib > 0 else { throw ValidationError("--size-mib must be positive, got \(sizeMib)") }
        guard runs > 0 else { throw ValidationError("--runs must be positive, got \(runs)") }
        guard (1...19).contains(level) else { throw ValidationError("--level must be 1...19, got \(level)") }
    }
}
