// swift-tools-version:6.1
// TransferLab: reproducible transfer-learning experiments on CNNs, as a DAG of content-hashed stages.
import PackageDescription

let package = Package(
    name: "TransferLab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tlab", targets: ["tlab"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "ModelExport", targets: ["ModelExport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        // The HTTP server of `tlab serve`: no SwiftNIO, so it adds about a minute of CPU to a clean
        // build where Hummingbird adds several (docs/decisions.md has the measurement).
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // The S3 client's HTTP (Store/ObjectStorage/S3Transport.swift says why not URLSession).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // The FMA kernels in C, one variant per instruction set, chosen at run time (docs/engine.md): no
        // target carries a -march flag, so the binary runs on any CPU of its architecture and other
        // packages can depend on Engine by version.
        .target(name: "EngineKernels"),
        .target(name: "Engine", dependencies: ["EngineKernels"]),
        .target(name: "Store", dependencies: [
            "CZstd", "CCrypto", "CPostgres", "CCurl",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Data sets: downloads, archives, formats, image codecs, shards. Knows no stage or parameter.
        .target(name: "Datasets", dependencies: ["Engine", "Store", "CZlib", "CJPEG", "CPNG"]),
        // The comparison report, its statistics and charts: plain values in, files out.
        .target(name: "Reporting", dependencies: ["Datasets", "Store"]),
        // Trained models as ONNX files, protobuf written by hand (docs/decisions.md says why).
        .target(name: "ModelExport", dependencies: ["Engine"]),
        // Open MPI's libmpi loaded with dlopen when a launcher started the process, so building and
        // running without MPI need nothing (docs/distributed.md says why not a separate product).
        .target(name: "LoadedMPI", linkerSettings: [.linkedLibrary("dl")]),
        // Ranks, hosts, byte exchanges and the watchdog of an MPI job; the engine's ShardExchange over them.
        .target(name: "MPITransport", dependencies: ["LoadedMPI", "Engine"]),
        // The pipeline core: spec, graph, keys, stages, execution, reproduction, the recipe check.
        .target(name: "Pipeline", dependencies: [
            "Engine", "Store", "Datasets", "Reporting", "ModelExport", "MPITransport",
            .product(name: "Yams", package: "Yams"),
        ]),
        // What `tlab bench` measures; the CLI reaches the engine only through it.
        .target(name: "Benchmarks", dependencies: ["Engine", "Store", "Datasets"]),
        // See README "Architecture" for the rule these dependencies follow.
        .executableTarget(name: "tlab", dependencies: [
            "Pipeline", "Store", "Datasets", "Reporting", "Benchmarks", "MPITransport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        // Real servers the tests start (PostgreSQL) and test networks (namespaces), shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ModelExportTests", dependencies: ["ModelExport", "Engine", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Store", "CZlib", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Datasets", "Reporting", "Benchmarks", "Store",
                                                          "Engine", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TlabTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "MPITransportTests", dependencies: ["MPITransport"]),
    ],
    swiftLanguageModes: [.v5]
)
