// A client for one bucket that speaks only the public S3 REST API (so AWS S3, MinIO, Ceph RGW and moto
// behave the same): PutObject, GetObject (ranged, resumed after a dropped connection), HeadObject,
// DeleteObject and ListObjectsV2, every request signed with SigV4 and retried with backoff.
// Multipart uploads are in S3Multipart.swift.
import Foundation

/// Requests against one bucket. Safe to share between threads; each call blocks until it is done.
public final class S3Client: Sendable {
    public let bucket: String
    public let configuration: S3Configuration
    let transport: S3Transport
    private let signer: SigV4Signer

    /// What HEAD and GET report about an object.
    public struct ObjectInfo: Equatable, Sendable {
        public let size: Int64
        /// The entity tag, quotes included, as S3 sends it: identifies this version of the object.
        public let etag: String
        public let lastModified: Date
    }

    /// One object in a listing.
    public struct ListedObject: Equatable, Sendable {
        public let key: String
        public let size: Int64
        public let etag: String
        public let lastModified: Date
    }

    /// One page of ListObjectsV2; pass `nextContinuationToken` back for the next page.
    public struct ListPage: Sendable {
        public let objects: [ListedObject]
        public let nextContinuationToken: String?
    }

    public init(bucket: String, configuration: S3Configuration) {
        self.bucket = bucket
        self.configuration = configuration
        transport = S3Transport()
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
    }

    // MARK: Objects

    /// Stores `data` as object `key`; returns its ETag.
    @discardableResult
    public func putObject(_ key: String, data: Data) throws -> String {
        let response = try perform(Call(operation: "PUT", method: "PUT", key: key, body: .data(data),
                                        payloadHash: payloadHash(of: data)))
        return response.headers["etag"] ?? ""
    }

    /// The object's size, ETag and modification time, or nil if there is no such object (or bucket:
    /// a HEAD answer has no body to tell the two apart).
    public func headObject(_ key: String) throws -> ObjectInfo? {
        do {
            let response = try perform(Call(operation: "HEAD", method: "HEAD", key: key))
            return try objectInfo(response.headers, call: "HEAD", key: key)
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// The object's bytes (or those of `range`, both ends included) in memory.
    public func getObject(_ key: String, range: ClosedRange<Int64>? = nil) throws -> Data {
        var data = Data()
        guard try getObject(key, range: range, restart: { data.removeAll() }, into: { data.append($0) }) != nil else {
            throw S3Error(operation: "GET", target: target(key), endpoint: endpointText,
                          reason: .status(404, code: "NoSuchKey", message: "The specified key does not exist."),
                          attempts: 1, seconds: 0)
        }
        return data
    }

    /// Streams the object's bytes (or those of `range`) to `consume` in order, using bounded memory.
    /// A connection lost mid-body is resumed from the byte it reached, on the same version of the
    /// object (If-Match its ETag), so `consume` sees each byte once. A resumed answer is used only if
    /// it is a 206 whose Content-Range starts at that byte. A server may answer a range request with
    /// 200 and the whole body instead (HTTP allows it; some proxies do): then `restart` discards what
    /// `consume` received and the body goes to `consume` from its first byte, provided it is as long
    /// as the object. Any other answer fails the attempt and, with `restart`, the next one starts from
    /// zero. Returns nil if there is no such object; other failures throw, as does `consume`, whose
    /// error stops the transfer.
    @discardableResult
    public func getObject(_ key: String, range: ClosedRange<Int64>? = nil, restart: (() throws -> Void)? = nil,
                          into consume: (Data) throws -> Void) throws -> ObjectInfo? {
        var received: Int64 = 0
        var receivedThisAttempt: Int64 = 0
        var firstETag: String?
        var objectSize: Int64?
        var answerChecked = false
        var unusable: String?
        func startOver() throws {
            guard let restart else { return }
            try restart()
            (received, firstETag) = (0, nil)
        }
        let call = Call(operation: "GET", method: "GET", key: key, expect: [200, 206])
        let response: S3Transport.Response
        do {
            response = try withoutActuallyEscaping(consume) { consume in
                try perform(call, extraHeaders: { _ in
                    (receivedThisAttempt, answerChecked, unusable) = (0, false, nil)
                    var headers: [(name: String, value: String)] = []
                    if received > 0 || range != nil {
                        let start = (range?.lowerBound ?? 0) + received
                        headers.append(("range", "bytes=\(start)-\(range.map { String($0.upperBound) } ?? "")"))
                    }
                    if received > 0, let etag = firstETag { headers.append(("if-match", etag)) }
                    return headers
                }, streamStatuses: [200, 206], consumer: { status, headers, piece in
                    if !answerChecked {
                        answerChecked = true
                        let answer = RangeAnswer(status: status, headers: headers)
                        let wanted = (range?.lowerBound ?? 0) + received
                        switch answer.continues(from: wanted, ranged: received > 0 || range != nil,
                                                objectSize: objectSize, canRestart: restart != nil && range == nil) {
                        case .continues:
                            break
                        case .restartsFromZero:
                            try startOver()
                        case .unusable(let why):
                            unusable = why
                            try startOver()
                        }
                        if firstETag == nil { firstETag = headers["etag"] }
                        objectSize = objectSize ?? answer.objectSize
                    }
                    guard unusable == nil else { return }
                    try consume(piece)
                    received += Int64(piece.count)
                    receivedThisAttempt += Int64(piece.count)
                }, validate: { response in
                    if let unusable { return .unusableAnswer(unusable) }
                    // libcurl reports a body cut short as an error; this catches a server that lies.
                    guard let length = response.headers["content-length"].flatMap(Int64.init),
                          receivedThisAttempt != length else { return nil }
                    return .truncated(received: receivedThisAttempt, expected: length)
                })
            }
        } catch let error as S3Error where error.code == "NoSuchKey" {
            return nil
        }
        let modified = response.headers["last-modified"].flatMap(S3Time.parseHTTPDate) ?? Date()
        return ObjectInfo(size: objectSize ?? received, etag: firstETag ?? response.headers["etag"] ?? "", lastModified: modified)
    }

    /// Deletes object `key`; deleting a key that is not there succeeds (as in S3).
    public func deleteObject(_ key: String) throws {
        _ = try perform(Call(operation: "DELETE", method: "DELETE", key: key, expect: [200, 204]))
    }

    /// Creates the bucket, in the configured region. The store never creates buckets; this is for
    /// setting up tests and benchmarks.
    public func createBucket() throws {
        var call = Call(operation: "CREATE BUCKET", method: "PUT", key: nil)
        if configuration.region != "us-east-1" {
            let body = Data("<CreateBucketConfiguration><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>".utf8)
            call.body = .data(body)
            call.payloadHash = payloadHash(of: body)
        }
        try perform(call)
    }

    // MARK: Listing

    /// One page (up to `maxKeys`, at most 1000) of the objects whose keys start with `prefix`, in key order.
    public func listObjects(prefix: String, maxKeys: Int = 1000, continuationToken: String? = nil) throws -> ListPage {
        var query = [(name: "list-type", value: "2"), (name: "prefix", value: prefix), (name: "max-keys", value: String(maxKeys))]
        if let continuationToken { query.append((name: "continuation-token", value: continuationToken)) }
        let response = try perform(Call(operation: "LIST", method: "GET", key: nil, query: query))
        guard let root = XMLElement.parse(response.body), root.name == "ListBucketResult" else {
            throw malformed("LIST", key: nil, "not a ListBucketResult document")
        }
        var objects: [ListedObject] = []
        for entry in root.all("Contents") {
            guard let key = entry["Key"], let size = entry["Size"].flatMap(Int64.init),
                  let modified = entry["LastModified"].flatMap(S3Time.parseISO8601) else {
                throw malformed("LIST", key: nil, "an entry lacks Key, Size or LastModified")
            }
            objects.append(ListedObject(key: key, size: size, etag: entry["ETag"] ?? "", lastModified: modified))
        }
        let truncated = root["IsTruncated"] == "true"
        return ListPage(objects: objects, nextContinuationToken: truncated ? root["NextContinuationToken"] : nil)
    }

    /// Calls `body` with every object whose key starts with `prefix`, a page of `pageSize` at a time.
    public func forEachObject(prefix: String, pageSize: Int = 1000, _ body: (ListedObject) throws -> Void) throws {
        var token: String?
        repeat {
            let page = try listObjects(prefix: prefix, maxKeys: pageSize, continuationToken: token)
            try page.objects.forEach(body)
            token = page.nextContinuationToken
        } while token != nil
    }

    // MARK: Requests

    /// One S3 request, before signing.
    struct Call {
        var operation: String
        var method: String
        /// nil for a request on the bucket itself.
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: S3Transport.Body = .none
        var payloadHash = S3Client.emptySHA256
        /// Statuses that mean success.
        var expect: Set<Int> = [200]
        /// How long the server may stay silent, if not `configuration.idleTimeout`.
        var timeout: TimeInterval?
    }

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    var endpointText: String { configuration.endpoint.absoluteString }

    func target(_ key: String?) -> String { key.map { "s3://\(bucket)/\($0)" } ?? "s3://\(bucket)" }

    func payloadHash(of data: Data) -> String {
        configuration.signPayload ? Digest.sha256Hex(data) : SigV4Signer.unsignedPayload
    }

    /// Sends `call`, signed afresh for each attempt, retrying transport failures, 5xx, 408, 429 and
    /// throttling codes with backoff until the retry policy's attempts or time run out; then throws
    /// `S3Error`. `extraHeaders` adds headers per attempt (a resumed GET's range); `validate` can turn
    /// a success status into a retryable failure. Errors thrown by `consumer` end the call at once.
    @discardableResult
    func perform(_ call: Call, extraHeaders: ((Int) -> [(name: String, value: String)])? = nil,
                 streamStatuses: Set<Int> = [], consumer: S3Transport.Consumer? = nil,
                 validate: ((S3Transport.Response) -> S3Error.Reason?)? = nil) throws -> S3Transport.Response {
        let policy = configuration.retry
        let started = Date()
        var attempt = 0
        while true {
            attempt += 1
            var retryable = true
            let reason: S3Error.Reason
            do {
                let request = signedRequest(call, extraHeaders: extraHeaders?(attempt) ?? [])
                let response = try transport.send(request, body: call.body, streamStatuses: streamStatuses, consumer: consumer)
                if call.expect.contains(response.status) {
                    guard let invalid = validate?(response) else {
                        configuration.outageNotice?.answered()
                        return response
                    }
                    reason = invalid
                } else {
                    reason = Self.errorReason(response)
                }
            } catch let failure as S3Transport.TransportFailure {
                reason = .transport(failure.message)
                retryable = failure.retryable
            }
            let elapsed = Date().timeIntervalSince(started)
            let error = S3Error(operation: call.operation, target: target(call.key), endpoint: endpointText,
                                reason: reason, attempts: attempt, seconds: elapsed)
            let delay = policy.delay(after: attempt)
            guard retryable, error.isRetryable, attempt < policy.maxAttempts, elapsed + delay <= policy.maxTotal else {
                if retryable, error.isRetryable { configuration.outageNotice?.gaveUp(after: policy.maxTotal) }
                throw error
            }
            configuration.outageNotice?.waiting(for: "S3 at \(endpointText)", reason: error.shortReason, budget: policy.maxTotal)
            Thread.sleep(forTimeInterval: delay)
        }
    }

    /// The request for `call`, with the SigV4 headers for this moment.
    private func signedRequest(_ call: Call, extraHeaders: [(name: String, value: String)]) -> S3Transport.Request {
        let endpoint = configuration.endpoint
        var host = endpoint.host!
        var path = ""
        switch configuration.addressing {
        case .path: path = "/\(bucket)"
        case .virtualHosted: host = "\(bucket).\(host)"
        }
        if let key = call.key { path += "/" + SigV4Signer.uriEncode(key, keepSlash: true) }
        if path.isEmpty { path = "/" }
        let authority = endpoint.port.map { "\(host):\($0)" } ?? host
        let query = SigV4Signer.canonicalQuery(call.query)

        var headers = call.headers + extraHeaders
        headers.append((name: "x-amz-content-sha256", value: call.payloadHash))
        let signed = signer.sign(SigV4Signer.Request(method: call.method, path: path, query: call.query,
                                                     headers: headers + [(name: "host", value: authority)],
                                                     payloadHash: call.payloadHash), at: Date())
        // Objects are zstd frames we verify ourselves: no server or proxy may re-encode them.
        headers.append((name: "accept-encoding", value: "identity"))
        return S3Transport.Request(method: call.method,
                                   url: "\(endpoint.scheme!)://\(authority)\(path)\(query.isEmpty ? "" : "?" + query)",
                                   headers: headers + signed.headers,
                                   idleTimeout: call.timeout ?? configuration.idleTimeout)
    }

    /// The status, S3 error code and message of an error response.
    static func errorReason(_ response: S3Transport.Response) -> S3Error.Reason {
        let document = XMLElement.parse(response.body)
        let error = document?.name == "Error" ? document : nil
        return .status(response.status, code: error?["Code"], message: error?["Message"])
    }

    func malformed(_ operation: String, key: String?, _ text: String) -> S3Error {
        S3Error(operation: operation, target: target(key), endpoint: endpointText, reason: .malformedResponse(text),
                attempts: 1, seconds: 0)
    }

    private func objectInfo(_ headers: [String: String], call: String, key: String) throws -> ObjectInfo {
        guard let size = headers["content-length"].flatMap(Int64.init) else {
            throw malformed(call, key: key, "no Content-Length")
        }
        let modified = headers["last-modified"].flatMap(S3Time.parseHTTPDate) ?? Date()
        return ObjectInfo(size: size, etag: headers["etag"] ?? "", lastModified: modified)
    }
}
