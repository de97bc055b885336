// Expected checksums of downloaded files (MD5 as publishers list them, or SHA-256), computed with
// the store's libcrypto digests.
import Foundation
import Store

/// A digest a file must have, e.g. `md5:c32a1d4a…` or `sha256:5b4141f0…`.
public struct Checksum: Sendable, Hashable, CustomStringConvertible {
    public typealias Algorithm = Digest.Algorithm

    public let algorithm: Algorithm
    /// Lowercase hex digits.
    public let hex: String

    /// Fails unless `hex` has the algorithm's length (32 for MD5, 64 for SHA-256) in hex digits.
    public init(_ algorithm: Algorithm, _ hex: String) throws {
        let lower = hex.lowercased()
        guard lower.count == algorithm.hexLength, lower.allSatisfy(\.isHexDigit) else {
            throw DownloadError.badChecksum("\(algorithm.rawValue) checksum \"\(hex)\" must be"
                                            + " \(algorithm.hexLength) hex digits")
        }
        self.algorithm = algorithm
        self.hex = lower
    }

    /// Parses `md5:HEX`, `sha256:HEX`, or bare hex (32 digits: MD5, 64: SHA-256).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            guard let algorithm = Algorithm(rawValue: parts[0].lowercased()) else {
                throw DownloadError.badChecksum("unknown checksum algorithm \"\(parts[0])\"; use md5 or sha256")
            }
            try self.init(algorithm, parts[1])
        } else {
            try self.init(text.count == 32 ? .md5 : .sha256, text)
        }
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    package init(uncheckedAlgorithm algorithm: Algorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }
}

extension Checksum {
    /// The checksum of the file at `path` (its bytes, or its gunzipped content when `decompressed`).
    package static func of(file path: String, _ algorithm: Algorithm, decompressed: Bool) throws -> Checksum {
        var digest = Digest(algorithm)
        if decompressed {
            try Gzip.decompress(fileAt: path) { digest.update($0) }
        } else {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw DatasetError.unreadable(file: path, reason: "no such file or no permission")
            }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                digest.update(chunk)
            }
        }
        return Checksum(uncheckedAlgorithm: algorithm, hex: digest.finalize())
    }
}
