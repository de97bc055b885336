// CIFAR-10's binary version: records of 1 label byte + 3072 bytes of 32x32 RGB (planar), in batch files
// inside `cifar-10-binary.tar.gz`.
import Foundation

/// Reads the CIFAR-10 binary tarball or its batch files.
public enum CIFAR10Reader {
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]
    public static let archiveName = "cifar-10-binary.tar.gz"
    public static let directory = "cifar-10-batches-bin"
    public static let trainBatches = (1...5).map { "data_batch_\($0).bin" }
    public static let testBatch = "test_batch.bin"
    package static let side = 32
    static let recordSize = 1 + 3 * 32 * 32

    /// The training set (the five data batches, in order) and the test set of the tarball at `path`.
    /// Class names come from `batches.meta.txt` when the archive has it.
    public static func read(archive path: String) throws -> (train: ImageDataset, test: ImageDataset) {
        let tar = try TarArchive(try Gzip.decompress(fileAt: path), name: path)
        func member(_ name: String) throws -> Data {
            let full = directory + "/" + name
            guard let data = tar.contents(of: full) else {
                throw DatasetError.missingEntry(archive: path, entry: full, present: tar.files.map(\.path))
            }
            return data
        }
        var names = classNames
        if let meta = tar.contents(of: directory + "/batches.meta.txt") {
            let listed = String(decoding: meta, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if listed.count == classNames.count { names = listed }
        }
        let train = try read(batches: trainBatches.map { (path + ":" + $0, try member($0)) }, classNames: names)
        let test = try read(batches: [(path + ":" + testBatch, try member(testBatch))], classNames: names)
        return (train, test)
    }

    /// The records of the given batch files (name for errors, contents), concatenated in order.
    public static func read(batches: [(name: String, contents: Data)],
                            classNames: [String] = classNames) throws -> ImageDataset {
        var pixels = [UInt8]()
        var labels = [Int32]()
        for (name, contents) in batches {
            guard contents.count % recordSize == 0 else {
                throw DatasetError.badLayout(file: name, detail: "\(contents.count) bytes is not a whole number"
                                             + " of \(recordSize)-byte records (1 label + 3x32x32 pixels);"
                                             + " the last record is cut short")
            }
            let records = contents.count / recordSize
            pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
            try contents.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let bytes = raw.bindMemory(to: UInt8.self)
                for r in 0..<records {
                    let start = r * recordSize
                    let label = bytes[start]
                    guard Int(label) < classNames.count else {
                        throw DatasetError.badLayout(file: name, detail: "record \(r) has label \(label);"
                                                     + " labels must be below \(classNames.count)")
                    }
                    labels.append(Int32(label))
                    pixels.append(contentsOf: bytes[start + 1 ..< start + recordSize])
                }
            }
        }
        return try ImageDataset(channels: 3, height: side, width: side, pixels: .uint8(pixels),
                                labels: labels, classNames: classNames)
    }
}
