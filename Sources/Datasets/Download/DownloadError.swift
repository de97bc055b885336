// What can go wrong fetching a data set's files; each message says what failed and what to do.
import Store

/// A file that could not be fetched or did not verify, with what to do about it.
public enum DownloadError: Error, CustomStringConvertible, Equatable {
    /// No connection could be made (after retries for transient failures), and no local copy helped.
    case unreachable(url: String, reason: String, advice: String)
    /// The server answered 404.
    case notFound(url: String)
    /// The server answered another non-success status that retrying will not fix.
    case httpStatus(url: String, status: Int)
    /// The transfer ended before the length the server announced (after retries).
    case truncated(url: String, receivedBytes: Int64, expectedBytes: Int64)
    /// The body is longer than the download limit (announced so, or sent so).
    case tooLarge(url: String, limitBytes: Int64, announcedBytes: Int64?)
    /// The body is longer (announced so, or sent so) than the file had when its checksum was pinned.
    case longerThanPinned(url: String, pinnedBytes: Int64, announcedBytes: Int64?)
    /// An https URL redirected to a plain-http one (or another scheme): not followed.
    case insecureRedirect(url: String, to: String)
    /// The file's checksum differs from the expected one.
    case checksumMismatch(file: String, expected: Checksum, got: Checksum)
    /// A local source file (or the local fallback copy) is missing.
    case missingLocalFile(path: String, advice: String)
    /// Writing or moving a file in the output directory failed.
    case fileSystem(path: String, reason: String)
    /// A checksum was given in a form that is not `md5:HEX` / `sha256:HEX`.
    case badChecksum(String)
    /// A source named neither a built-in data set, an http(s) URL nor a local path.
    case badSource(String)

    /// One line; URLs with their credentials and query values redacted, control characters escaped.
    public var description: String { printable(message, limit: 2000) }

    private var message: String {
        switch self {
        case let .unreachable(url, reason, advice):
            return "cannot reach \(url) (\(reason)); \(advice)"
        case let .notFound(url):
            return "\(url) answered 404 Not Found; check the URL, or the mirror's base URL if one is set"
        case let .httpStatus(url, status):
            return "\(url) answered HTTP \(status); check the URL and whether the server needs access rights"
        case let .truncated(url, received, expected):
            return "the transfer of \(url) stopped after \(received) of \(expected) bytes (truncated archive);"
                + " retry later or set a mirror"
        case let .tooLarge(url, limit, announced):
            return "\(url) " + (announced.map { "announces \($0) bytes, more" } ?? "sent more")
                + " than the download limit of \(limit >> 20) MiB; if the file is really that large, raise the"
                + " download parameter max_download_mib"
        case let .longerThanPinned(url, pinned, announced):
            return "\(url) " + (announced.map { "announces \($0) bytes" } ?? "sent more than \(pinned) bytes")
                + ", but the file its checksum pins had \(pinned) bytes when it was pinned: the server no longer"
                + " serves that file; check the URL (or the mirror), or pin the new file's checksum"
        case let .insecureRedirect(url, to):
            return "\(url) redirects to \(to) and that is not https: the file (and any credentials) would travel"
                + " unencrypted, so the redirect was not followed; use the https address the file is served at"
        case let .checksumMismatch(file, expected, got):
            return "\(file) has checksum \(got), expected \(expected); the file is corrupt or not the"
                + " published version: delete it and download again, or check the checksum you gave"
        case let .missingLocalFile(path, advice):
            return "\(path) does not exist; \(advice)"
        case let .fileSystem(path, reason):
            return "cannot write \(path): \(reason); check free space and permissions"
        case let .badChecksum(detail):
            return detail
        case let .badSource(detail):
            return detail
        }
    }
}
