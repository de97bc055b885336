// `tlab bench`: the group of release-mode throughput benchmarks (a benchmark, never a test).
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (build with -c release; numbers from debug builds are meaningless).",
        discussion: """
            EXAMPLES:
              tlab bench store --size-mib 1024 --runs 3
              tlab bench s3 s3://bench/blobs --size-mib 1024 --runs 3
              tlab bench kernels --runs 5 --json
              tlab bench models --case densenet-121-155x155 --threads 2 --json
              tlab bench images /tmp/tlab-image-corpus --write-corpus
              tlab bench lineage --stages 60
              TLAB_KERNELS=portable tlab bench workload
            """,
        subcommands: [
            BenchStore.self, BenchS3.self, BenchKernels.self, BenchModels.self, BenchImages.self,
            BenchStreaming.self, BenchLineage.self, BenchWorkload.self,
        ]
    )
}
