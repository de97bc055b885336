// Blocking HTTP exchanges over one URLSession (FoundationNetworking, libcurl underneath): bodies go up
// from memory, and come down into memory or to a consumer as they arrive.
//
// Why URLSession rather than a small HTTP/1.1 client over sockets: it brings HTTPS with the system's
// certificate store (AWS S3 needs TLS), proxies and connection reuse, and the package already links it
// (Pipeline's downloads). Its cost, measured on loopback against a server that only reads (236 MiB, load
// average 5): a PUT from memory 0.56-1.27 s, `curl -T` 0.14-0.33 s, and a PUT from a file (uploadTask
// fromFile) 2.9-5.6 s; so bodies go from memory, large files as multipart parts a few at a time. Even
// the slowest of these is above moto's ceiling (see docs/s3-blobs.md) and a single S3 connection's.
// No retry or signing lives here; `S3Client` does both.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

final class S3Transport: @unchecked Sendable {
    enum Body {
        case none
        case data(Data)
    }

    struct Response {
        let status: Int
        /// Header names in lower case.
        let headers: [String: String]
        /// The body, unless it went to the consumer.
        let body: Data
    }

    /// No HTTP answer at all; `retryable` is false for faults that another attempt cannot cure
    /// (an unknown host name, a malformed URL).
    struct TransportFailure: Error {
        let message: String
        let retryable: Bool
    }

    private let session: URLSession
    private let dispatcher: Dispatcher

    init(idleTimeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        dispatcher = Dispatcher()
        session = URLSession(configuration: configuration, delegate: dispatcher, delegateQueue: queue)
    }

    deinit { session.invalidateAndCancel() }

    /// Receives a streamed body piece by piece, with the response's headers.
    typealias Consumer = (_ status: Int, _ headers: [String: String], _ piece: Data) throws -> Void

    /// Sends `request` and blocks until the exchange ends. With `consumer`, the body of a response
    /// whose status is in `streamStatuses` goes to it piece by piece (on the session's queue, in order);
    /// if it throws, the transfer stops and that error is rethrown. Other bodies are returned in memory.
    func send(_ request: URLRequest, body: Body, streamStatuses: Set<Int> = [],
              consumer: Consumer? = nil) throws -> Response {
        let task: URLSessionTask
        switch body {
        case .none: task = session.dataTask(with: request)
        case .data(let data): task = session.uploadTask(with: request, from: data)
        }
        let exchange = Exchange(streamStatuses: streamStatuses, consumer: consumer)
        dispatcher.register(exchange, for: task)
        task.resume()
        exchange.done.wait()
        dispatcher.unregister(task)

        if let error = exchange.consumerError { throw error }
        if let error = exchange.transportError { throw Self.classify(error) }
        guard let status = exchange.status else {
            throw TransportFailure(message: "no response", retryable: true)
        }
        return Response(status: status, headers: exchange.headers, body: exchange.body)
    }

    private static func classify(_ error: Error) -> TransportFailure {
        let code = (error as? URLError)?.code
        let message = (error as NSError).localizedDescription
        switch code {
        case .cannotFindHost?, .dnsLookupFailed?, .unsupportedURL?, .badURL?:
            return TransportFailure(message: message, retryable: false)
        case .timedOut?:
            return TransportFailure(message: "timed out: \(message)", retryable: true)
        default:
            return TransportFailure(message: message, retryable: true)
        }
    }

    /// One exchange's state, written on the session's serial queue until `done` is signalled.
    final class Exchange: @unchecked Sendable {
        let streamStatuses: Set<Int>
        /// Dropped when the exchange ends, before the caller wakes: the caller may hold the closure
        /// under `withoutActuallyEscaping`.
        var consumer: Consumer?
        let done = DispatchSemaphore(value: 0)
        var status: Int?
        var headers: [String: String] = [:]
        var body = Data()
        var streaming = false
        var consumerError: Error?
        var transportError: Error?

        init(streamStatuses: Set<Int>, consumer: Consumer?) {
            self.streamStatuses = streamStatuses
            self.consumer = consumer
        }
    }

    /// The session's delegate: routes each task's events to its exchange. A separate object so the
    /// session (which retains its delegate) and the transport do not keep each other alive.
    final class Dispatcher: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var exchanges: [Int: Exchange] = [:]

        func register(_ exchange: Exchange, for task: URLSessionTask) {
            lock.withLock { exchanges[task.taskIdentifier] = exchange }
        }

        func unregister(_ task: URLSessionTask) {
            _ = lock.withLock { exchanges.removeValue(forKey: task.taskIdentifier) }
        }

        private func exchange(_ task: URLSessionTask) -> Exchange? {
            lock.withLock { exchanges[task.taskIdentifier] }
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            if let exchange = exchange(dataTask), let http = response as? HTTPURLResponse {
                exchange.status = http.statusCode
                for (name, value) in http.allHeaderFields {
                    if let name = name as? String, let value = value as? String { exchange.headers[name.lowercased()] = value }
                }
                exchange.streaming = exchange.consumer != nil && exchange.streamStatuses.contains(http.statusCode)
            }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard let exchange = exchange(dataTask), exchange.consumerError == nil else { return }
            guard exchange.streaming, let consumer = exchange.consumer else {
                // Error bodies are small XML documents; anything beyond 1 MiB is not worth keeping.
                if exchange.body.count < 1 << 20 { exchange.body.append(data) }
                return
            }
            do { try consumer(exchange.status ?? 0, exchange.headers, data) } catch {
                exchange.consumerError = error
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask,
                        willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
                        completionHandler: @escaping (URLRequest?) -> Void) {
            // A redirect would go out with the signature of the first request; report it instead.
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            guard let exchange = exchange(task) else { return }
            exchange.transportError = error
            exchange.consumer = nil
            exchange.done.signal()
        }
    }
}
