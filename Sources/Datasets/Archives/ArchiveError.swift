// What can be wrong with an archive while it is unpacked, each naming the archive and the entry.
import Store

/// A problem with one entry of an archive (or with the archive as a whole when it outgrows a limit).
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    /// Unpacking would exceed a limit; `parameter` is the stage parameter that raises it.
    case limitExceeded(archive: String, entry: String, limit: String, parameter: String)
    /// A compressed entry inflates to more bytes than its header declares.
    case largerThanDeclared(archive: String, entry: String, declaredBytes: Int)
    /// Two entries would be written to the same file (duplicates, or names that become the same).
    case duplicate(archive: String, first: String, second: String)
    /// One entry is a file where another needs a folder of the same name (`a/x` and `a/x/y.png`).
    case fileAndFolder(archive: String, file: String, inside: String)
    /// Anything else wrong with one entry.
    case badEntry(archive: String, entry: String, detail: String)

    public var description: String {
        switch self {
        case let .limitExceeded(archive, entry, limit, parameter):
            return "\(printable(archive)): unpacking entry '\(printable(entry))' would exceed \(limit);"
                + " if the archive is trusted, raise the download parameter \(parameter)"
        case let .largerThanDeclared(archive, entry, declared):
            return "\(printable(archive)): entry '\(printable(entry))' inflates to more than the \(declared) bytes its"
                + " header declares (a corrupt archive or a zip bomb); nothing more of it was written"
        case let .duplicate(archive, first, second):
            return "\(printable(archive)): entries '\(printable(first))' and '\(printable(second))' would both be"
                + " unpacked to the same file; rename one of them"
        case let .fileAndFolder(archive, file, inside):
            return "\(printable(archive)): entry '\(printable(file))' is a file, but entry '\(printable(inside))'"
                + " needs a folder of that name; rename one of them"
        case let .badEntry(archive, entry, detail):
            return "\(printable(archive)): entry '\(printable(entry))' \(detail)"
        }
    }
}

/// How much an archive may unpack to: a total, a multiple of the archive's own size, and a number of
/// files (a million empty entries cost no bytes but a million inodes). All default generous enough
/// for any real image-folder archive and are raised by stage parameters.
public struct UnpackLimits: Equatable, Sendable {
    /// The most bytes all entries together may unpack to.
    public var maxTotalBytes: Int64
    /// The most the unpacked bytes may be as a multiple of the archive file's size.
    public var maxRatio: Int64
    /// The most files all entries together may unpack to.
    public var maxFiles: Int

    /// Below this many unpacked bytes the ratio is not enforced: a tiny archive of tiny, highly
    /// compressible files is harmless whatever its ratio.
    static let ratioFloorBytes: Int64 = 16 << 20

    /// 2,000,000 files: ImageNet-1k's training set (1.28 million images) fits.
    public static let defaults = UnpackLimits(maxTotalBytes: 64 << 30, maxRatio: 200, maxFiles: 2_000_000)

    public init(maxTotalBytes: Int64, maxRatio: Int64, maxFiles: Int = UnpackLimits.defaults.maxFiles) {
        self.maxTotalBytes = maxTotalBytes
        self.maxRatio = maxRatio
        self.maxFiles = maxFiles
    }
}
