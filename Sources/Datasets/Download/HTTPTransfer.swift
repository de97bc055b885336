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
    private var transportError: Error?

    private init(url: URL, timeout: TimeInterval, maxBytes: Int64, output: FileHandle,
                 progress: (@Sendable (DownloadProgress) -> Void)?) {
        self.url = url
        self.timeout = timeout
        self.maxBytes = maxBytes
        self.output = output
        self.progress = progress
    }

    /// GETs `url` into a new file at `path`; `timeout` is how long the connection may stay silent;
    /// a body longer than `maxBytes` fails the transfer (and is not retried).
    static func run(_ url: URL, to path: String, timeout: TimeInterval, maxBytes: Int64,
                    progress: (@Sendable (DownloadProgress) -> Void)?) -> TransferOutcome {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let output = FileHandle(forWritingAtPath: path) else {
            return .failed(.fileSystem(path: path, reason: "cannot create the file"))
        }
        defer { try? output.close() }
        let transfer = HTTPTransfer(url: url, timeout: timeout, maxBytes: maxBytes, output: output, progress: progress)
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
        if status == 200, let expected, expected > maxBytes { tooLarge = true }
        completionHandler(status == 200 && !tooLarge ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard writeFailure == nil, !tooLarge else { return }
        guard received + Int64(data.count) <= maxBytes else {
            tooLarge = true
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

    /// A redirect to another host loses the netrc credentials meant for the first.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
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

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        transportError = error
        finished.signal()
    }
}
