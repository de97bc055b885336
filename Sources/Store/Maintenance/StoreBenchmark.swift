// Throughput of the blob store on a float32 tensor: put (hash + compress + write + fsync) and
// get + verify (read + decompress + hash into caller memory), as `tlab bench store` reports it.
import Foundation

/// Measures tensor puts and verified reads on a scratch store.
public enum StoreBenchmark {
    /// What the benchmark tensor holds.
    public enum Content: String, CaseIterable, Sendable {
        /// Normal-ish values, σ≈0.05, like trained weights: zstd saves about 3 %.
        case weights
        /// Uniformly random bits: incompressible, zstd stores them as they are.
        case random
        /// Like ReLU activations: three values in four are 0, the rest as `weights` (about 3x smaller).
        case sparse
    }

    /// Timings of repeated runs; throughput is in MB/s of uncompressed bytes (10⁶ bytes per second).
    public struct Result: Sendable {
        public let rawBytes: Int64
        public let storedBytes: Int64
        public let putSeconds: [Double]
        public let readSeconds: [Double]
        /// CPU time (user + system, all threads) of each put and read: on a shared machine this shows
        /// the work done independently of how much of the CPU the run got.
        public let putCPUSeconds: [Double]
        public let readCPUSeconds: [Double]
        /// CPU time of the calling thread alone: with the other threads keeping up, a lower bound on
        /// the wall time the run would take with its cores to itself.
        public let putCallerCPUSeconds: [Double]
        public let readCallerCPUSeconds: [Double]
        /// SHA-256 alone over the tensor's bytes in memory, once per run: the floor under both directions.
        public let hashSeconds: [Double]

        public var putMBps: [Double] { putSeconds.map { Double(rawBytes) / 1e6 / $0 } }
        public var readMBps: [Double] { readSeconds.map { Double(rawBytes) / 1e6 / $0 } }
        public var hashMBps: [Double] { hashSeconds.map { Double(rawBytes) / 1e6 / $0 } }
        public var compressionRatio: Double { Double(rawBytes) / Double(storedBytes) }
    }

    /// Puts and then reads back a `byteCount`-byte float32 tensor of `content` `runs` times in a fresh
    /// store under `scratch`, deleting the blob between runs so every put writes it anew. The read-back
    /// is compared with the original once, outside the timings. The store is removed at the end.
    /// With `remote`, the store is a cache in front of it: a put includes the upload, and the cache copy
    /// is dropped before the read, so get+verify includes the download; the blob is deleted from the
    /// remote after each run.
    public static func run(byteCount: Int, level: Int, runs: Int, scratch: URL,
                           remote: (any BlobRemote)? = nil, content: Content = .weights) throws -> Result {
        let count = byteCount / 4
        let source = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: count * 4, alignment: 64)
        defer { source.deallocate(); destination.deallocate() }
        fill(source, with: content)
        // Touch the destination once so first-use page faults are not billed to the store.
        memset(destination.baseAddress!, 0, destination.count)

        let root = scratch.appendingPathComponent("tlab-bench-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try BlobStore.open(root: root, defaultLevel: level, remote: remote)
        let tensor = [TensorSource(name: "weights", dtype: .f32, shape: [count], bytes: UnsafeRawBufferPointer(source))]

        var putSeconds: [Double] = [], putCPU: [Double] = [], putCaller: [Double] = []
        var readSeconds: [Double] = [], readCPU: [Double] = [], readCaller: [Double] = []
        var stored: Int64 = 0
        var hashSeconds: [Double] = []
        for run in 0..<runs {
            let hashStart = DispatchTime.now()
            var digest = Digest()
            digest.update(UnsafeRawBufferPointer(source))
            _ = digest.finalize()
            hashSeconds.append(seconds(since: hashStart))

            var start = DispatchTime.now(), cpuStart = processCPUSeconds(), callerStart = threadCPUSeconds()
            let info = try store.putTensors(tensor)
            putSeconds.append(seconds(since: start))
            putCPU.append(processCPUSeconds() - cpuStart)
            putCaller.append(threadCPUSeconds() - callerStart)
            stored = info.storedBytes
            if remote != nil { try store.remove(info.hash) }

            start = DispatchTime.now()
            cpuStart = processCPUSeconds()
            callerStart = threadCPUSeconds()
            try store.readTensors(info.hash) { _ in destination }
            readSeconds.append(seconds(since: start))
            readCPU.append(processCPUSeconds() - cpuStart)
            readCaller.append(threadCPUSeconds() - callerStart)
            if run == 0 && memcmp(destination.baseAddress!, source.baseAddress!, count * 4) != 0 {
                throw StoreError.corrupt(hash: info.hash, path: try store.path(of: info.hash).path,
                                         reason: "benchmark read-back differs from what was put")
            }
            if remote != nil { try store.removeFromRemote(info.hash) } else { try store.remove(info.hash) }
        }
        let raw = try SafeTensors.header(for: tensor).fileBytes
        return Result(rawBytes: raw, storedBytes: stored, putSeconds: putSeconds, readSeconds: readSeconds,
                      putCPUSeconds: putCPU, readCPUSeconds: readCPU,
                      putCallerCPUSeconds: putCaller, readCallerCPUSeconds: readCaller, hashSeconds: hashSeconds)
    }

    static func fill(_ values: UnsafeMutableBufferPointer<Float>, with content: Content) {
        switch content {
        case .weights:
            fillNormalish(values)
        case .random:
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for i in values.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                values[i] = Float(bitPattern: UInt32(truncatingIfNeeded: state >> 16))
            }
        case .sparse:
            fillNormalish(values)
            for i in values.indices where i % 4 != 0 { values[i] = 0 }
        }
    }

    /// Deterministic N(0, 0.05²)-like values: the sum of four xorshift uniforms, centred and scaled.
    static func fillNormalish(_ values: UnsafeMutableBufferPointer<Float>) {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        // Four uniforms on [0, M] sum to mean 2M and standard deviation M/√3.
        let scale = 0.05 * (3.0).squareRoot() / Double(UInt32.max)
        for i in values.indices {
            var sum: UInt64 = 0
            for _ in 0..<2 {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                sum += (state & 0xFFFF_FFFF) + (state >> 32)
            }
            values[i] = Float((Double(sum) - 2 * Double(UInt32.max)) * scale)
        }
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// CPU time of the whole process, all threads (clock(3)).
    private static func processCPUSeconds() -> Double { Double(clock()) / Double(CLOCKS_PER_SEC) }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
