// Fetches a data source's files into a directory: HTTP with retries and exponential backoff, a mirror
// override, a local fallback copy, checksum verification, and temp-file-then-rename so a file is whole or absent.
import Foundation

/// Fetches the files of a `DataSource` into a directory.
///
/// Transient failures (connection refused or lost, timeouts, HTTP 5xx, truncated transfers) are retried
/// with exponential backoff; 404 and checksum mismatches are not. When the remote location cannot be
/// reached, the source's fallback directory is used if it has the files. Files already present in the
/// output directory with the right checksum are kept without fetching.
public struct Downloader: Sendable {
    /// A base URL replacing the source's own (a mirror serving the same file names).
    public var mirror: URL?
    /// How long a connection may stay silent before the attempt counts as timed out, in seconds.
    public var timeout: TimeInterval
    /// Attempts per file for transient failures (1 = no retry).
    public var attempts: Int
    /// Wait before the first retry, in seconds; doubled before each further one.
    public var initialBackoff: TimeInterval
    /// The largest body a download may have: a server announcing more is refused before any byte is
    /// written, one sending more is cut off at this size.
    public var maxBytes: Int64
    /// Called with the bytes received so far, on a background thread.
    public var progress: (@Sendable (DownloadProgress) -> Void)?

    /// 64 GiB: more than any data set a stage reads, less than a disk a hostile server could fill.
    public static let defaultMaxBytes: Int64 = 64 << 30

    public init(mirror: URL? = nil, timeout: TimeInterval = 30, attempts: Int = 4,
                initialBackoff: TimeInterval = 1, maxBytes: Int64 = Downloader.defaultMaxBytes,
                progress: (@Sendable (DownloadProgress) -> Void)? = nil) {
        self.mirror = mirror
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.initialBackoff = initialBackoff
        self.progress = progress
    }

    /// Fetches every file of `source` into `directory` (created when missing) and returns their paths,
    /// in the source's order. Blocks the calling thread.
    public func fetch(_ source: DataSource, into directory: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DownloadError.fileSystem(path: directory, reason: error.localizedDescription)
        }
        return try source.files.map { file in
            let destination = (directory as NSString).appendingPathComponent(file.name)
            if file.checksum != nil, FileManager.default.fileExists(atPath: destination),
               (try? verify(destination, file, label: destination)) != nil {
                return destination
            }
            switch source.location {
            case .local(let sourceDirectory):
                try copy(from: sourceDirectory, file, to: destination, advice: source.advice)
            case .remote(let base):
                try download(from: mirror ?? base, file, to: destination, source: source)
            case .generated:
                throw DownloadError.badSource("\(source.name) is generated, yet lists \(file.name) to fetch")
            }
            return destination
        }
    }

    private func download(from base: URL, _ file: DataSource.File, to destination: String,
                          source: DataSource) throws {
        let url = base.appendingPathComponent(file.name)
        let partial = destination + ".part"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        var lastFailure = ""
        var truncation: (received: Int64, expected: Int64)?
        var backoff = initialBackoff
        attempts: for attempt in 1...attempts {
            switch HTTPTransfer.run(url, to: partial, timeout: timeout, maxBytes: maxBytes, pinnedBytes: file.bytes,
                                    progress: progress) {
            case .complete:
                try verify(partial, file, label: url.absoluteString)
                try moveIntoPlace(partial, destination)
                return
            case .failed(let error):
                throw error
            case .unreachable(let reason):
                lastFailure = reason
                break attempts
            case .transient(let reason):
                lastFailure = reason
                truncation = nil
            case let .truncated(received, expected):
                truncation = (received, expected)
            }
            if attempt < attempts {
                Thread.sleep(forTimeInterval: backoff)
                backoff *= 2
            }
        }
        if let fallback = source.fallbackDirectory,
           FileManager.default.fileExists(atPath: (fallback as NSString).appendingPathComponent(file.name)) {
            try copy(from: fallback, file, to: destination, advice: source.advice)
            return
        }
        if let truncation {
            throw DownloadError.truncated(url: url.absoluteString, receivedBytes: truncation.received,
                                          expectedBytes: truncation.expected)
        }
        throw DownloadError.unreachable(url: url.absoluteString, reason: lastFailure, advice: source.advice)
    }

    /// Copies a local file (read directly, never through URLSession) and verifies the copy.
    private func copy(from directory: String, _ file: DataSource.File, to destination: String,
                      advice: String) throws {
        let origin = (directory as NSString).appendingPathComponent(file.name)
        guard FileManager.default.fileExists(atPath: origin) else {
            throw DownloadError.missingLocalFile(path: origin, advice: advice)
        }
        let partial = destination + ".part"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        do {
            try? FileManager.default.removeItem(atPath: partial)
            try FileManager.default.copyItem(atPath: origin, toPath: partial)
        } catch {
            throw DownloadError.fileSystem(path: partial, reason: error.localizedDescription)
        }
        try verify(partial, file, label: origin)
        try moveIntoPlace(partial, destination)
    }

    /// Fails unless the file at `path` has `file`'s checksum (any content passes when it has none);
    /// `label` names it in the error.
    private func verify(_ path: String, _ file: DataSource.File, label: String) throws {
        guard let expected = file.checksum else { return }
        let got = try Checksum.of(file: path, expected.algorithm, decompressed: file.checksumOfDecompressed)
        guard got == expected else {
            throw DownloadError.checksumMismatch(
                file: label + (file.checksumOfDecompressed ? " (decompressed content)" : ""),
                expected: expected, got: got)
        }
    }

    private func moveIntoPlace(_ partial: String, _ destination: String) throws {
        // rename(2) replaces the destination atomically: readers see the old file or the new one.
        guard rename(partial, destination) == 0 else {
            throw DownloadError.fileSystem(path: destination, reason: String(cString: strerror(errno)))
        }
    }
}
