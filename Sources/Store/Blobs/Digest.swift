// Message digests through the system's libcrypto, whose SHA-256 runs SHA-NI code where the CPU has
// it (> 1 GB/s here). SHA-256 names blobs; MD5 only checks downloads whose publisher lists MD5.
import CCrypto
import Foundation

/// An incremental digest: feed it bytes with `update`, read the hex digest once with `finalize`.
public struct Digest: ~Copyable {
    /// The digests libcrypto computes here; the raw value is how checksums spell them (`sha256:…`).
    public enum Algorithm: String, Sendable, CaseIterable {
        case md5, sha256

        /// Length of the digest in hex digits.
        public var hexLength: Int { self == .md5 ? 32 : 64 }
    }

    public let algorithm: Algorithm
    private let context: OpaquePointer

    public init(_ algorithm: Algorithm = .sha256) {
        let md = algorithm == .md5 ? EVP_md5() : EVP_sha256()
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, md, nil) == 1 else {
            fatalError("libcrypto could not start a \(algorithm.rawValue) context")
        }
        self.algorithm = algorithm
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The digest as lowercase hex digits.
    public consuming func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return hexString(Array(digest.prefix(Int(length))))
    }

    /// SHA-256 of `data`, as 64 lowercase hex characters.
    public static func sha256Hex(_ data: Data) -> String {
        var d = Digest()
        d.update(data)
        return d.finalize()
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}
