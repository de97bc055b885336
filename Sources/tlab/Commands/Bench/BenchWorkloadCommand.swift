// `tlab bench workload`: the fixed engine workload (Pipeline's FixedWorkload) and the digest of the
// weights it trains, to compare kernel paths and CPUs bit for bit and to count instructions.
import ArgumentParser
import Benchmarks
import Pipeline

struct BenchWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "Train a tiny fixed DenseNet three steps; print the kernel path and a digest of the weights.",
        discussion: """
            The digest is the same on every CPU and kernel path (TLAB_KERNELS) and any thread count: \
            compare runs bit for bit with it. scripts/check-instructions counts its instructions per kernel \
            under callgrind.
            """
    )

    func run() throws {
        let digest = try FixedWorkload.trainedWeightsDigest()
        print("weights digest \(String(digest, radix: 16))  \(TLab.kernelsField)")
    }
}
