// Expected checksums of downloaded files (MD5 as publishers list them, or SHA-256) and their
// computation through libcrypto's EVP interface.
import CCrypto
import Foundation

/// A digest a file must have, e.g. `md5:c32a1d4a…` or `sha256:5b4141f0…`.
public struct Checksum: Sendable, Hashable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, CaseIterable {
        case md5, sha256

        var hexLength: Int { self == .md5 ? 32 : 64 }
    }

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

    init(uncheckedAlgorithm algorithm: Algorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }
}

/// An incremental digest of one algorithm; feed bytes with `update`, read the hex digest once.
final class Digester {
    let algorithm: Checksum.Algorithm
    private let context: OpaquePointer

    init(_ algorithm: Checksum.Algorithm) {
        self.algorithm = algorithm
        let md = algorithm == .md5 ? EVP_md5() : EVP_sha256()
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, md, nil) == 1 else {
            fatalError("libcrypto could not start a \(algorithm.rawValue) context")
        }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    func finalize() -> Checksum {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        let hex = digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
        return Checksum(uncheckedAlgorithm: algorithm, hex: hex)
    }

    /// The checksum of the file at `path` (its bytes, or its gunzipped content when `decompressed`).
    static func checksum(ofFile path: String, _ algorithm: Checksum.Algorithm,
                         decompressed: Bool) throws -> Checksum {
        let digester = Digester(algorithm)
        if decompressed {
            try Gzip.decompress(fileAt: path) { digester.update($0) }
        } else {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw DatasetError.unreadable(file: path, reason: "no such file or no permission")
            }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { digester.update($0) }
            }
        }
        return digester.finalize()
    }
}
