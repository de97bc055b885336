// Reading one split of a sharded data set as the engine's examples, in bounded memory. A background
// thread decompresses the shards in order (each verified against its hash) into memory when the
// split fits the data-memory limit, else into a scratch file on local disk, where a batch is
// gathered with pread: any order the trainer asks for — a seeded permutation over the whole split —
// is then served from the page cache, not from resident memory. Either way the bytes, and so the
// batches, are the same, and a consumer reading in order starts before the last shard is unpacked.
import Engine
import Foundation
import Store

/// A split of a sharded data set as an `ExampleSource`: uint8 images converted to normalised floats
/// (by the same conversion as in-memory data sets), or float32 features as stored.
package final class ShardedExamples: ExampleSource {
    package let count: Int
    package let exampleShape: [Int]
    /// The split's labels, read whole (4 bytes an example).
    package let labels: [Int32]
    private let normalization: Normalization?
    private let exampleBytes: Int
    private let elementType: TensorDType
    private let unpacking: Unpacking

    /// The most bytes of examples a split is unpacked into memory for: `TLAB_DATA_MEMORY_MIB` MiB if
    /// set (0 puts every split on disk), else 512 MiB. Larger splits go to a scratch file.
    static var memoryLimit: Int {
        (ProcessInfo.processInfo.environment["TLAB_DATA_MEMORY_MIB"].flatMap(Int.init).map { max(0, $0) } ?? 512) << 20
    }

    /// Whether the examples are held in memory (rather than in a scratch file).
    package var inMemory: Bool { unpacking.inMemory }

    /// Opens split `split` of `manifest`; unpacking starts at once, into memory when the split's
    /// examples take at most `memoryLimit` bytes, else into a file in `scratch`. `normalization`
    /// applies to uint8 images and must be nil for float features.
    package init(_ manifest: ShardManifest, split: String, blobs: BlobStore, scratch: URL,
         normalization: Normalization?, memoryLimit: Int = ShardedExamples.memoryLimit) throws {
        let part = try manifest.split(split)
        count = part.count
        exampleShape = manifest.shape
        elementType = manifest.elementType
        exampleBytes = manifest.exampleBytes
        guard elementType == .u8 || elementType == .f32, (elementType == .u8) == (normalization != nil) else {
            throw DatasetError.badLayout(file: "shard manifest", detail: "\(manifest.tensor) of dtype \(manifest.dtype)"
                                         + " cannot be read as examples (uint8 images with a normalisation, or float32)")
        }
        if let normalization { try normalization.check(channels: exampleShape[0]) }
        self.normalization = normalization
        let labelArchive = try blobs.readTensors(part.labels)
        labels = try labelArchive.dataSetTensor(ShardManifest.labelsTensor).labelValues()
        guard labels.count == count else {
            throw DatasetError.shapeMismatch("split \(split) lists \(count) examples but its labels blob holds \(labels.count)")
        }
        let inShards = part.shards.reduce(0) { $0 + $1.count }
        guard inShards == count else {
            throw DatasetError.shapeMismatch("split \(split) lists \(count) examples but its shards hold \(inShards)")
        }
        unpacking = try Unpacking(shards: part.shards, tensor: manifest.tensor, shape: manifest.shape,
                                  exampleBytes: exampleBytes, blobs: blobs,
                                  scratch: count * exampleBytes <= memoryLimit ? nil : scratch)
    }

    deinit { unpacking.cancel() }

    package func gather(_ indices: [Int], into batch: Tensor) throws -> [Int] {
        guard let last = indices.max() else { return [] }
        precondition(indices.allSatisfy { $0 >= 0 && $0 < count }, "gather: an index outside 0..<\(count)")
        try unpacking.waitFor(last + 1)
        let size = exampleShape.reduce(1, *)
        // Runs of consecutive indices (a whole batch, when reading in order) are one read each.
        var b = 0
        var staging: UnsafeMutableRawPointer?
        defer { staging?.deallocate() }
        while b < indices.count {
            var run = 1
            while b + run < indices.count && indices[b + run] == indices[b] + run { run += 1 }
            let target = batch.data + b * size
            if elementType == .f32 {
                try unpacking.read(examples: indices[b], count: run, into: UnsafeMutableRawPointer(target))
            } else {
                if staging == nil { staging = .allocate(byteCount: indices.count * exampleBytes, alignment: 64) }
                try unpacking.read(examples: indices[b], count: run, into: staging!)
                let pixels = staging!.assumingMemoryBound(to: UInt8.self)
                let plane = size / exampleShape[0]
                for image in 0..<run {
                    for c in 0..<exampleShape[0] {
                        let offset = image * size + c * plane
                        normalization!.convert(pixels + offset, count: plane, channel: c, into: target + offset) { Float($0) }
                    }
                }
            }
            b += run
        }
        return indices.map { Int(labels[$0]) }
    }
}

/// Where the examples are unpacked to, and the thread filling it, shard after shard. Shared by the
/// source and the thread, so the thread never keeps the source alive.
private final class Unpacking: @unchecked Sendable {
    private let condition = NSCondition()
    /// One of the two.
    private let file: ScratchFile?
    private let memory: UnsafeMutableRawBufferPointer?
    private let exampleBytes: Int
    /// Examples written and verified so far; guarded by `condition`.
    private var available = 0
    private var failure: Error?
    private var cancelled = false
    private var finished = false

    /// Unpacks into a file in `scratch`, or into memory when it is nil.
    init(shards: [ShardManifest.Shard], tensor: String, shape: [Int], exampleBytes: Int, blobs: BlobStore,
         scratch: URL?) throws {
        self.exampleBytes = exampleBytes
        if let scratch {
            file = try ScratchFile(in: scratch, role: "a data set being read")
            memory = nil
        } else {
            file = nil
            memory = .allocate(byteCount: max(1, shards.reduce(0) { $0 + $1.count } * exampleBytes), alignment: 64)
        }
        let thread = Thread { [self] in self.unpack(shards, tensor: tensor, shape: shape, blobs: blobs) }
        thread.name = "tlab-unpack"
        thread.start()
    }

    deinit { memory?.deallocate() }

    var inMemory: Bool { memory != nil }

    func cancel() {
        condition.lock()
        cancelled = true
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Blocks until examples `0..<count` are unpacked; rethrows the unpacking's failure.
    func waitFor(_ count: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while available < count {
            if let failure { throw failure }
            condition.wait()
        }
    }

    /// Reads `count` examples from `first` into `target`.
    func read(examples first: Int, count: Int, into target: UnsafeMutableRawPointer) throws {
        if let memory {
            target.copyMemory(from: memory.baseAddress! + first * exampleBytes, byteCount: count * exampleBytes)
        } else {
            try file!.read(into: UnsafeMutableRawBufferPointer(start: target, count: count * exampleBytes), at: first * exampleBytes)
        }
    }

    private func unpack(_ shards: [ShardManifest.Shard], tensor: String, shape: [Int], blobs: BlobStore) {
        var buffer: UnsafeMutableRawBufferPointer?
        defer {
            if memory == nil { buffer?.deallocate() }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        var written = 0
        do {
            for shard in shards {
                condition.lock()
                let stop = cancelled
                condition.unlock()
                if stop { return }
                let bytes = shard.count * exampleBytes
                if let memory {
                    // Straight into place: the shard's tensor lands where its examples belong.
                    buffer = UnsafeMutableRawBufferPointer(rebasing: memory[written * exampleBytes ..< written * exampleBytes + bytes])
                } else if (buffer?.count ?? 0) < bytes {
                    buffer?.deallocate()
                    buffer = .allocate(byteCount: max(bytes, 1), alignment: 64)
                }
                var found = false
                do {
                    try blobs.readTensors(shard.hash) { entry in
                        guard entry.name == tensor else { return nil }
                        guard entry.shape == [shard.count] + shape else {
                            throw DatasetError.shapeMismatch("it holds \(tensor) of shape \(entry.shape), the manifest says \([shard.count] + shape)")
                        }
                        found = true
                        return buffer
                    }
                    guard found else { throw DatasetError.shapeMismatch("it holds no tensor \(tensor)") }
                } catch let error as StoreError {
                    throw error  // names the blob and its path already
                } catch {
                    throw DatasetError.badLayout(file: "data set shard \(shard.hash)", detail: "\(error); run tlab verify")
                }
                try file?.write(UnsafeRawBufferPointer(rebasing: buffer![..<bytes]), at: written * exampleBytes)
                written += shard.count
                releaseFreedMemory()
                condition.lock()
                available = written
                condition.broadcast()
                condition.unlock()
            }
        } catch {
            condition.lock()
            failure = error
            condition.broadcast()
            condition.unlock()
        }
    }
}
