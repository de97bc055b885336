// `tlab bench s3`: put and get+verify throughput of a blob store whose blobs live in an S3 bucket.
import ArgumentParser
import Foundation
import Store

struct BenchS3: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3",
        abstract: "Put and get+verify a float32 tensor blob through an S3 bucket; print MB/s.",
        discussion: """
            Each run puts the tensor through a store whose folder is a cache in front of LOCATION (hash,
            compress, write, fsync, upload) and reads it back with the cache emptied first (download,
            fsync, decompress, verify). The object is deleted after each run. Endpoint, region and
            credentials come from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.

            EXAMPLE:
              AWS_ENDPOINT_URL=http://127.0.0.1:5000 tlab bench s3 s3://bench/blobs --size-mib 1024 --runs 3
            """
    )

    @Argument(help: "Where the blobs go: s3://bucket or s3://bucket/prefix.")
    var location: String

    @OptionGroup var tensor: TensorBenchmarkOptions

    @Option(help: "Multipart part size in MiB (objects above it go up in parts).")
    var partMib: Int = 16

    @Option(help: "Parts uploading at once (each read from the blob file as it goes).")
    var partsInFlight: Int = 4

    @Option(help: "What the tensor holds: weights (normal-ish, ~3 % smaller compressed), random (incompressible) or sparse (3 in 4 zeros, ~3x smaller).")
    var content: String = StoreBenchmark.Content.weights.rawValue

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard partMib >= 5 else { throw ValidationError("--part-mib must be at least 5 (S3's smallest part), got \(partMib)") }
        guard partsInFlight >= 1 else { throw ValidationError("--parts-in-flight must be positive, got \(partsInFlight)") }
        guard StoreBenchmark.Content(rawValue: content) != nil else {
            throw ValidationError("--content must be one of \(StoreBenchmark.Content.allCases.map(\.rawValue).joined(separator: ", ")), got '\(content)'")
        }
    }

    func run() throws {
        let place = try S3Location(url: location)
        var settings = try S3Configuration.fromEnvironment(bucket: place.bucket)
        settings.partSize = partMib << 20
        settings.partsInFlight = partsInFlight
        let remote = S3BlobRemote(location: place, configuration: settings)
        let (sizeMib, level, runs) = (tensor.sizeMib, tensor.level, tensor.runs)
        let result = try StoreBenchmark.run(byteCount: sizeMib << 20, level: level, runs: runs,
                                            scratch: URL(fileURLWithPath: tensor.dir), remote: remote,
                                            content: StoreBenchmark.Content(rawValue: content)!)
        if json {
            let fields: [String: Any] = [
                "rawBytes": result.rawBytes, "storedBytes": result.storedBytes,
                "putSeconds": result.putSeconds, "getSeconds": result.readSeconds,
                "putCPUSeconds": result.putCPUSeconds, "getCPUSeconds": result.readCPUSeconds,
            ]
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("s3: \(sizeMib) MiB float32 tensor (\(content)) via \(place), zstd level \(level), \(runs) runs, "
              + "\(result.storedBytes) bytes stored, parts of \(partMib) MiB, \(partsInFlight) in flight, "
              + TLab.kernelsField)
        print("put:        \(BenchStore.summary(result.putMBps))")
        print("get+verify: \(BenchStore.summary(result.readMBps))")
    }
}
