// The `tlab` command: thin subcommands over the Pipeline and Store modules.
import ArgumentParser
import Engine

@main
struct TLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlab",
        abstract: "Reproducible transfer-learning experiments on CNNs.",
        version: "tlab 0.1.0 (engine \(engineVersion))",
        subcommands: [Bench.self]
    )
}
