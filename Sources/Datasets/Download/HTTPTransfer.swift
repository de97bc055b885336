// One HTTP GET streamed to a file through URLSession, reporting bytes as they arrive; the outcome is
// classified so the downloader can tell transient failures (retry) from final ones.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How far a download has got.
public struct DownloadProgress: Sendable, Equatable {
    /// The file being fetched.
    public let file: String
    public let receivedBytes: Int64
    /// The length the server announced, when it did.
    public let expectedBytes: Int64?
}

/// The result of one attempt.
enum TransferOutcome: Equatable {
    case complete
    /// Worth another attempt: connection refused or lost, timeout, 5xx.
    case transient(String)
    /// The body ended before the announced length; also worth another attempt.
    case truncated(received: Int64, expected: Int64)
    /// The host cannot be reached at all (no DNS, no network): retrying will not help.
    case unreachable(String)
    case failed(DownloadError)
}

/// Streams one URL's body into a file. `run` blocks the calling thread until the transfer ends.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let url: URL
    private let timeout: TimeInterval
    private let maxBytes: Int64
    /// The size the file had when its checksum was pinned, when known.
    private let pinnedBytes: Int64?
    private let output: FileHandle
    private let progress: (@Sendable (DownloadProgress) -> Void)?
    private let finished = DispatchSemaphore(value: 0)
    // Touched only on the session's serial delegate queue until `finished` is signalled.
    private var status: Int?
    private var expected: Int64?
    private var received: Int64 = 0
    private var writeFailure: String?
    /// Set when the body is (or is announced to be) longer than `maxBytes`.
    private var tooLarge = false
    /// Set when the body is (or is announced to be) longer than `pinnedBytes`.
    private var longerThanPinned = false
    /// Where an https transfer was redirected to when that was not https.
    private var refusedRedirect: String?
    private var transportError: Error?

    private init(url: URL, timeout: TimeInterval, maxBytes: Int64, pinnedBytes: Int64?, output: FileHandle,
                 progress: (@Sendable (DownloadProgress) -> Void)?) {
        self.url = url
        self.timeout = timeout
        self.maxBytes = maxBytes
        self.pinnedBytes = pinnedBytes
        self.output = output
        self.progress = progress
    }

    /// GETs `url` into a new file at `path`; `timeout` is how long the connection may stay silent;
    /// a body longer than `maxBytes`, or than `pinnedBytes` when given, fails the transfer (and is not
    /// retried) the moment it is announced or its bytes arrive.
    static func run(_ url: URL, to path: String, timeout: TimeInterval, maxBytes: Int64, pinnedBytes: Int64? = nil,
                    progress: (@Sendable (DownloadProgress) -> Void)?) -> TransferOutcome {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let output = FileHandle(forWritingAtPath: path) else {
            return .failed(.fileSystem(path: path, reason: "cannot create the file"))
        }
        defer { try? output.close() }
        let transfer = HTTPTransfer(url: url, timeout: timeout, maxBytes: maxBytes, pinnedBytes: pinnedBytes, output: output,
                                    progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        var request = URLRequest(url: url)
        if let host = url.host, let authorization = Netrc.load()?.authorization(for: host) {
            request.setValue(authorization, forHTTPHeaderField: "Authorization")
        }
        session.dataTask(with: request).resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()
        return transfer.outcome
    }

    private var outcome: TransferOutcome {
        let address = url.absoluteString
        if let refusedRedirect { return .failed(.insecureRedirect(url: address, to: refusedRedirect)) }
        if longerThanPinned, let pinnedBytes {
            return .failed(.longerThanPinned(url: address, pinnedBytes: pinnedBytes,
                                             announcedBytes: expected.flatMap { $0 > pinnedBytes ? $0 : nil }))
        }
        if tooLarge { return .failed(.tooLarge(url: address, limitBytes: maxBytes, announcedBytes: expected)) }
        if let writeFailure { return .failed(.fileSystem(path: address, reason: writeFailure)) }
        if let status, status != 200 {
            if status == 404 { return .failed(.notFound(url: address)) }
            if status >= 500 || status == 429 || status == 408 { return .transient("HTTP \(status)") }
            return .failed(.httpStatus(url: address, status: status))
        }
        let code = (transportError as? URLError)?.code
        if code == .timedOut { return .transient("timed out: no data for \(timeout) s") }
        if let expected, received < expected {
            return .truncated(received: received, expected: expected)
        }
        guard let transportError else { return .complete }
        switch code {
        case .cannotFindHost?, .dnsLookupFailed?, .notConnectedToInternet?, .unsupportedURL?, .badURL?:
            return .unreachable(transportError.localizedDescription)
        default:
            // Refused, reset, lost, timed out: the usual transient network failures.
            return .transient(transportError.localizedDescription)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        status = http?.statusCode
        expected = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        if status == 200, let expected { _ = refuses(expected) }
        completionHandler(status == 200 && !tooLarge && !longerThanPinned ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard writeFailure == nil, !tooLarge, !longerThanPinned else { return }
        guard !refuses(received + Int64(data.count)) else {
            dataTask.cancel()
            return
        }
        do { try output.write(contentsOf: data) } catch {
            writeFailure = "\(error)"
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        progress?(DownloadProgress(file: url.lastPathComponent, receivedBytes: received, expectedBytes: expected))
    }

    /// Whether a body of `bytes` is past the tighter of the two bounds, the pinned size or the
    /// download limit; sets the flag that says which.
    private func refuses(_ bytes: Int64) -> Bool {
        if let pinnedBytes, pinnedBytes <= maxBytes {
            if bytes > pinnedBytes { longerThanPinned = true }
        } else if bytes > maxBytes {
            tooLarge = true
        }
        return tooLarge || longerThanPinned
    }

    /// A redirect to another host loses the netrc credentials meant for the first; an https download
    /// is never redirected to plain http (nor any other scheme), which would undo its encryption.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        if let downgrade = Self.downgrade(from: url, to: request.url) {
            refusedRedirect = downgrade
            completionHandler(nil)
            return
        }
        var next = request
        // Credentials go to the origin they were given for only: a change of host, scheme (https to
        // http would send them in clear) or port drops them.
        let to = request.url
        if to?.host?.lowercased() != url.host?.lowercased() || to?.scheme?.lowercased() != url.scheme?.lowercased()
            || to?.port != url.port {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    /// The redirect target, for messages, if following it from `origin` would leave https.
    static func downgrade(from origin: URL, to target: URL?) -> String? {
        guard origin.scheme?.lowercased() == "https", target?.scheme?.lowercased() != "https" else { return nil }
        return target?.absoluteString ?? "an unreadable address"
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        transportError = error
        finished.signal()
    }
}
