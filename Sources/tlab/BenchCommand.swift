// `tlab bench`: the group of throughput measurements (store, and others as they are added).
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput on this machine (use a release build).",
        subcommands: [BenchStore.self]
    )
}
