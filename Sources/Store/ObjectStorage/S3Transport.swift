// Blocking HTTP exchanges over libcurl's easy interface: bodies go up from memory or straight from a
// range of a file, and come down into memory or to a consumer as they arrive.
//
// Why libcurl directly rather than URLSession (which wraps the same libcurl): URLSession copies an
// upload's body into its own buffer first and hands it to libcurl in small pieces through its queues,
// and uploading from a file was slower still. Measured on loopback against moto (2026-12-06, load 7-10):
// a 991 MB blob file went up in 23-26 s through URLSession where `curl -T` took 11 s. Driving libcurl
// ourselves, a part is read from the blob file into libcurl's send buffer and nothing else, as the
// curl tool does. libcurl brings HTTPS with the system's certificate store (AWS S3 needs TLS), the
// usual proxy variables (`https_proxy`, `no_proxy`) and connection reuse (each idle handle keeps its
// connection). No retry or signing lives here; `S3Client` does both.
import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class S3Transport: @unchecked Sendable {
    enum Body {
        case none
        case data(Data)
        /// `count` bytes of the file at `path` from `offset` on, read as they are sent.
        case file(path: String, offset: Int64, count: Int64)
    }

    /// One HTTP request, already signed.
    struct Request {
        var method: String
        var url: String
        /// Sent in this order, besides the few libcurl adds (Host, Content-Length, Accept).
        var headers: [(name: String, value: String)]
        /// How long the server may stay silent, connecting or mid-transfer, before the attempt fails.
        var idleTimeout: TimeInterval
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

    /// Receives a streamed body piece by piece, with the response's headers.
    typealias Consumer = (_ status: Int, _ headers: [String: String], _ piece: Data) throws -> Void

    private let idleHandles = IdleHandles()

    init() {
        _ = Self.libraryReady
    }

    deinit { idleHandles.closeAll() }

    /// curl_global_init is not thread-safe: run it once, before any handle exists.
    private static let libraryReady: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Sends `request` and blocks until the exchange ends. With `consumer`, the body of a response
    /// whose status is in `streamStatuses` goes to it piece by piece, in order, on this thread; if it
    /// throws, the transfer stops and that error is rethrown. Other bodies are returned in memory.
    func send(_ request: Request, body: Body, streamStatuses: Set<Int> = [],
              consumer: Consumer? = nil) throws -> Response {
        let handle = try idleHandles.take()
        defer { idleHandles.give(handle) }
        let exchange = Exchange(handle: handle, streamStatuses: streamStatuses, consumer: consumer)
        switch body {
        case .none: break
        case .data(let data): exchange.upload = .data(data)
        case let .file(path, offset, count):
            let file = try PosixFile.openFile(path, flags: O_RDONLY)
            exchange.upload = .file(file, offset: offset, count: count)
        }
        defer { if case .file(let file, _, _) = exchange.upload { file.closeFile() } }

        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // A 100-continue round trip costs a wait per part; a refused upload is cheap to redo.
        lines.append("Expect:")
        if !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) { lines.append("Content-Type:") }
        for line in lines { headers = curl_slist_append(headers, line) }

        let context = Unmanaged.passUnretained(exchange).toOpaque()
        var setup = CURLE_OK
        func set(_ option: CURLoption, _ value: Int) { if setup == CURLE_OK { setup = tlab_curl_set_long(handle, option, value) } }
        func set(_ option: CURLoption, pointer: UnsafeRawPointer?) {
            if setup == CURLE_OK { setup = tlab_curl_set_pointer(handle, option, pointer) }
        }
        curl_easy_reset(handle)
        setup = request.url.withCString { tlab_curl_set_pointer(handle, CURLOPT_URL, $0) }
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        set(CURLOPT_HTTPHEADER, pointer: headers)
        set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        set(CURLOPT_BUFFERSIZE, Self.receiveBufferBytes)
        set(CURLOPT_UPLOAD_BUFFERSIZE, Self.sendBufferBytes)
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.idleTimeout * 1000))
        // Idle means under a byte a second for that long (libcurl counts whole seconds).
        set(CURLOPT_LOW_SPEED_LIMIT, 1)
        set(CURLOPT_LOW_SPEED_TIME, max(1, Int(request.idleTimeout.rounded(.up))))
        set(CURLOPT_HEADERDATA, pointer: context)
        set(CURLOPT_WRITEDATA, pointer: context)
        set(CURLOPT_READDATA, pointer: context)
        set(CURLOPT_SEEKDATA, pointer: context)
        if setup == CURLE_OK { setup = tlab_curl_set_data_callback(handle, CURLOPT_HEADERFUNCTION, receiveHeader) }
        if setup == CURLE_OK { setup = tlab_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION, receiveBody) }
        if setup == CURLE_OK { setup = tlab_curl_set_data_callback(handle, CURLOPT_READFUNCTION, sendBody) }
        if setup == CURLE_OK { setup = tlab_curl_set_seek_callback(handle, rewindBody) }
        let length = exchange.upload?.count ?? 0
        switch request.method {
        case "GET": set(CURLOPT_HTTPGET, 1)
        case "HEAD": set(CURLOPT_NOBODY, 1)
        case "PUT":
            set(CURLOPT_UPLOAD, 1)
            if setup == CURLE_OK { setup = tlab_curl_set_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(length)) }
        case "POST":
            set(CURLOPT_POST, 1)
            if setup == CURLE_OK { setup = tlab_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(length)) }
        default:
            if setup == CURLE_OK { setup = request.method.withCString { tlab_curl_set_pointer(handle, CURLOPT_CUSTOMREQUEST, $0) } }
        }
        guard setup == CURLE_OK else {
            throw TransportFailure(message: "libcurl refused an option: \(String(cString: curl_easy_strerror(setup)))", retryable: false)
        }

        let result = curl_easy_perform(handle)
        exchange.consumer = nil
        if let error = exchange.consumerError { throw error }
        if let error = exchange.uploadError { throw error }
        guard result == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw Self.failure(result, detail: detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail)
        }
        return Response(status: tlab_curl_response_code(handle), headers: exchange.headers, body: exchange.body)
    }

    /// libcurl's receive buffer: its largest (CURL_MAX_READ_SIZE), so a 1 GiB download is ~2000
    /// hand-offs rather than 60,000 of the default 16 KiB.
    private static let receiveBufferBytes = 512 << 10
    /// libcurl's send buffer, filled straight from the file or `Data` being uploaded.
    private static let sendBufferBytes = 2 << 20

    private static func failure(_ code: CURLcode, detail: String) -> TransportFailure {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return TransportFailure(message: detail, retryable: false)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportFailure(message: "timed out: \(detail)", retryable: true)
        default:
            return TransportFailure(message: detail, retryable: true)
        }
    }

    /// What one exchange's callbacks share; lives on the stack of `send`, which outlasts the transfer.
    final class Exchange {
        let handle: UnsafeMutableRawPointer
        let streamStatuses: Set<Int>
        /// Dropped when the transfer ends: the caller may hold the closure under `withoutActuallyEscaping`.
        var consumer: Consumer?
        var headers: [String: String] = [:]
        var body = Data()
        /// Known from the first body byte on: whether the body goes to the consumer.
        var streaming: Bool?
        var consumerError: Error?
        var upload: Upload?
        var uploaded: Int64 = 0
        var uploadError: Error?

        init(handle: UnsafeMutableRawPointer, streamStatuses: Set<Int>, consumer: Consumer?) {
            self.handle = handle
            self.streamStatuses = streamStatuses
            self.consumer = consumer
        }
    }

    enum Upload {
        case data(Data)
        case file(PosixFile, offset: Int64, count: Int64)

        var count: Int64 {
            switch self {
            case .data(let data): return Int64(data.count)
            case .file(_, _, let count): return count
            }
        }
    }

    /// Easy handles not in use, each keeping its connection open for the next request.
    private final class IdleHandles: @unchecked Sendable {
        private let lock = NSLock()
        private var handles: [UnsafeMutableRawPointer] = []
        /// More parts in flight than this reconnect; it only bounds the open sockets kept.
        private let kept = 8

        func take() throws -> UnsafeMutableRawPointer {
            if let handle = lock.withLock({ handles.popLast() }) { return handle }
            guard let handle = curl_easy_init() else {
                throw TransportFailure(message: "libcurl could not create a handle (out of memory)", retryable: true)
            }
            return handle
        }

        func give(_ handle: UnsafeMutableRawPointer) {
            let keep = lock.withLock {
                guard handles.count < kept else { return false }
                handles.append(handle)
                return true
            }
            if !keep { curl_easy_cleanup(handle) }
        }

        func closeAll() {
            lock.withLock {
                handles.forEach { curl_easy_cleanup($0) }
                handles.removeAll()
            }
        }
    }
}

private func exchange(_ context: UnsafeMutableRawPointer?) -> S3Transport.Exchange {
    Unmanaged<S3Transport.Exchange>.fromOpaque(context!).takeUnretainedValue()
}

/// One header line, the status line included; a new status line (after a 100 Continue) starts afresh.
private func receiveHeader(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                           _ context: UnsafeMutableRawPointer?) -> Int {
    let exchange = exchange(context)
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        exchange.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        exchange.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return length
}

private func receiveBody(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                         _ context: UnsafeMutableRawPointer?) -> Int {
    let exchange = exchange(context)
    let length = size * count
    let status = tlab_curl_response_code(exchange.handle)
    if exchange.streaming == nil {
        exchange.streaming = exchange.consumer != nil && exchange.streamStatuses.contains(status)
    }
    guard exchange.streaming == true, let consumer = exchange.consumer else {
        // Error bodies are small XML documents; anything beyond 1 MiB is not worth keeping.
        if exchange.body.count < 1 << 20 { exchange.body.append(UnsafeRawPointer(buffer!).assumingMemoryBound(to: UInt8.self), count: length) }
        return length
    }
    do {
        try consumer(status, exchange.headers, Data(bytes: buffer!, count: length))
        return length
    } catch {
        exchange.consumerError = error
        return 0
    }
}

private func sendBody(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                      _ context: UnsafeMutableRawPointer?) -> Int {
    let exchange = exchange(context)
    guard let upload = exchange.upload else { return 0 }
    let wanted = Int(min(Int64(size * count), upload.count - exchange.uploaded))
    guard wanted > 0 else { return 0 }
    let target = UnsafeMutableRawBufferPointer(start: buffer, count: wanted)
    switch upload {
    case .data(let data):
        let start = Int(exchange.uploaded)
        data.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + wanted])) }
    case let .file(file, offset, _):
        do {
            let read = try file.readFully(into: target, at: offset + exchange.uploaded)
            guard read == wanted else {
                throw StoreError.io(operation: "read (the file shrank during the upload)", path: file.path, code: EIO)
            }
        } catch {
            exchange.uploadError = error
            return Int(CURL_READFUNC_ABORT)
        }
    }
    exchange.uploaded += Int64(wanted)
    return wanted
}

/// libcurl rewinds when it resends a body on a fresh connection (the kept one had closed).
private func rewindBody(_ context: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    let exchange = exchange(context)
    guard origin == SEEK_SET, offset >= 0, offset <= exchange.upload?.count ?? 0 else { return Int32(CURL_SEEKFUNC_FAIL) }
    exchange.uploaded = Int64(offset)
    return Int32(CURL_SEEKFUNC_OK)
}
