// `tlab bench`: the group of release-mode throughput benchmarks (a benchmark, never a test).
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (build with -c release; numbers from debug builds are meaningless).",
        subcommands: [BenchKernels.self]
    )
}
