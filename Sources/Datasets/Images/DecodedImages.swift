// One split of a packed image folder decoded for preprocess: every file decoded (PNG or JPEG, EXIF
// orientation applied) and resized to the declared square on all cores, into a scratch file, so the
// labels of the images that decoded are known before any task is cut, and the pixels then stream.
import Engine
import Foundation
import Store

/// The decoded images of one split of an `ImageFolderManifest`, as uint8 RGB [3, side, side].
package final class DecodedImages: RawImages {
    /// How images become the data set's shape.
    package struct Sizing {
        /// The side of the square every image is resized to; 0 keeps the images' own size, which must
        /// then be the same for all.
        package var side: Int
        package var mode: ResizeMode
        /// Leave out files that cannot be decoded (listed in `skipped`) instead of failing.
        package var skipBad: Bool

        package init(side: Int, mode: ResizeMode, skipBad: Bool) {
            self.side = side
            self.mode = mode
            self.skipBad = skipBad
        }
    }

    package private(set) var labels: [Int32] = []
    package private(set) var shape: [Int] = []
    /// Files left out as unreadable, in data set order.
    package private(set) var skipped: [SkippedImage] = []
    /// Files smaller than the declared size, scaled up, with their sizes.
    package private(set) var upscaled: [String] = []
    private let file: ScratchFile

    /// Decodes split `split` of `manifest` into a scratch file in `scratch`, telling `progress` how
    /// many more files are done as it goes.
    package init(_ manifest: ImageFolderManifest, split: String, sizing: Sizing, blobs: BlobStore, scratch: URL,
         progress: (Int) -> Void = { _ in }) throws {
        file = try ScratchFile(in: scratch, role: "the decoded \(split) images")
        let files = manifest.splits[split] ?? []
        var size = sizing.side > 0 ? (width: sizing.side, height: sizing.side) : nil
        var shard: (index: Int, bytes: Data)?
        var written = 0
        // A few dozen files at a time: enough to keep every core busy, few enough to bound memory.
        for start in stride(from: 0, to: files.count, by: 32) {
            let batch = Array(files[start ..< min(start + 32, files.count)])
            defer { progress(batch.count) }
            var contents: [Data] = []
            for file in batch {
                if shard?.index != file.shard { shard = (file.shard, try blobs.read(manifest.shards[file.shard])) }
                contents.append(shard!.bytes.subdata(in: file.offset ..< file.offset + file.size))
            }
            if size == nil {
                // The images' own size: the first that decodes sets it.
                for (file, bytes) in zip(batch, contents) {
                    if let found = try? ImageDecoder.withDecoded(bytes, name: file.path, { ($0.width, $0.height) }) { size = found; break }
                }
                guard size != nil else { continue }  // every file of this batch is bad: the next batch decides
            }
            let (width, height) = size!
            let imageBytes = 3 * width * height
            let outputs = UnsafeMutableRawBufferPointer.allocate(byteCount: batch.count * imageBytes, alignment: 64)
            defer { outputs.deallocate() }
            var results = [Result<Bool, Error>](repeating: .success(false), count: batch.count)
            results.withUnsafeMutableBufferPointer { results in
                parallelFor(chunks: batch.count) { i in
                    results[i] = Result { try ImageDecoder.withDecoded(contents[i], name: batch[i].path) { (image: DecodedImage) -> Bool in
                        let target = (outputs.baseAddress! + i * imageBytes).assumingMemoryBound(to: UInt8.self)
                        if sizing.side > 0 {
                            ImageResampler.resize(image, to: sizing.side, mode: sizing.mode, into: target)
                            return sizing.mode == .crop ? min(image.width, image.height) < sizing.side
                                : image.width < sizing.side || image.height < sizing.side
                        }
                        guard image.width == width && image.height == height else {
                            throw DatasetError.invalidParameter("image \(batch[i].path) is \(image.width)x\(image.height) pixels but the first"
                                                                + " image is \(width)x\(height); set resize: N in the preprocess stage to"
                                                                + " resize every image to N×N")
                        }
                        ImageResampler.resize(image, width: width, height: height, box: (0, 0, Float(width), Float(height)), into: target)
                        return false
                    } }
                }
            }
            for (i, result) in results.enumerated() {
                switch result {
                case .success(let scaledUp):
                    try file.write(UnsafeRawBufferPointer(rebasing: outputs[i * imageBytes ..< (i + 1) * imageBytes]), at: written * imageBytes)
                    written += 1
                    labels.append(Int32(batch[i].label))
                    if scaledUp { upscaled.append(batch[i].path) }
                case .failure(let error as ImageError):
                    guard sizing.skipBad else { throw ImageFolderError.badImage(error) }
                    skipped.append(SkippedImage(file: batch[i].path, reason: error.reason))
                case .failure(let error):
                    throw error
                }
            }
        }
        shape = [3, size?.height ?? max(sizing.side, 1), size?.width ?? max(sizing.side, 1)]
    }

    package func forEachChunk(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let imageBytes = shape.reduce(1, *)
        let perChunk = max(1, (16 << 20) / imageBytes)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: perChunk * imageBytes)
        defer { buffer.deallocate() }
        for first in stride(from: 0, to: labels.count, by: perChunk) {
            let n = min(perChunk, labels.count - first)
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[..<(n * imageBytes)]),
                     at: first * imageBytes)
            try body(first, UnsafeBufferPointer(rebasing: buffer[..<(n * imageBytes)]))
        }
    }

}
