// Where an S3 bucket is and how to reach it: the `s3://bucket/prefix` location, and the endpoint,
// region, credentials and retry policy, read only from the standard AWS environment variables.
import Foundation

/// A bucket and a key prefix, from an `s3://bucket/prefix` URL.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    /// The key prefix without leading or trailing slashes; empty for the whole bucket.
    public let prefix: String

    /// A bucket and a prefix of `/`-separated segments (one leading and one trailing slash are
    /// dropped). A `.`, `..` or empty segment is refused: servers and proxies normalise such paths
    /// after the request is signed, so objects would land under another prefix than the one named.
    public init(bucket: String, prefix: String = "") throws {
        let shown = Redaction.text("s3://\(bucket)\(prefix.isEmpty || prefix.hasPrefix("/") ? "" : "/")\(prefix)")
        guard Self.isValidBucketName(bucket) else {
            throw S3ConfigurationError.invalidLocation(
                shown, reason: "'\(Redaction.text("s3://\(bucket)").dropFirst(5))' is not a bucket name (3-63 characters: a-z, 0-9, '.', '-')")
        }
        var trimmed = Substring(prefix)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let segments = trimmed.isEmpty ? [] : trimmed.split(separator: "/", omittingEmptySubsequences: false)
        if let bad = segments.first(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw S3ConfigurationError.invalidLocation(
                shown, reason: "the prefix '\(trimmed)' has \(bad.isEmpty ? "an empty segment (//)" : "a '\(bad)' segment"); "
                    + "name the prefix with plain segments, such as s3://\(bucket)/team/blobs")
        }
        self.bucket = bucket
        self.prefix = segments.joined(separator: "/")
    }

    /// Parses `s3://bucket` or `s3://bucket/some/prefix`.
    public init(url: String) throws {
        guard url.hasPrefix("s3://") else {
            throw S3ConfigurationError.invalidLocation(Redaction.text(url), reason: "expected s3://bucket or s3://bucket/prefix")
        }
        let rest = url.dropFirst(5)
        if let at = rest.firstIndex(of: "@"), !rest[..<at].contains("/") || rest[..<at].contains(":") {
            throw S3ConfigurationError.invalidLocation(
                Redaction.text(url), reason: "credentials do not belong in an S3 location; "
                    + "give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (see docs/s3-blobs.md)")
        }
        if rest.contains("?") || rest.contains("#") {
            throw S3ConfigurationError.invalidLocation(
                Redaction.text(url), reason: "an S3 location has no query or fragment ('?', '#'); give s3://bucket/prefix")
        }
        let bucket = rest.prefix { $0 != "/" }
        try self.init(bucket: String(bucket), prefix: String(rest.dropFirst(bucket.count)))
    }

    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    /// The key of `name` under the prefix.
    func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix)/\(name)" }

    static func isValidBucketName(_ name: String) -> Bool {
        (3...63).contains(name.utf8.count) && name.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45
        } && name.first != "." && name.first != "-"
    }
}

/// An access key and its secret. The secret never appears in a description, error or log.
public struct S3Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "access key \(accessKeyID)" + (sessionToken == nil ? "" : " with a session token") }
    public var debugDescription: String { description }
}

/// How failed requests are retried: exponential backoff with jitter, bounded in attempts and in time.
public struct S3RetryPolicy: Sendable, Equatable {
    /// Attempts per request, the first included (`AWS_MAX_ATTEMPTS`).
    public var maxAttempts: Int
    /// The wait before the second attempt; each later wait doubles, up to `maxDelay`.
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// No retry starts once this long has passed since the first attempt began.
    public var maxTotal: TimeInterval

    public init(maxAttempts: Int = 5, baseDelay: TimeInterval = 0.25, maxDelay: TimeInterval = 8,
                maxTotal: TimeInterval = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotal = maxTotal
    }

    /// Retries for as long as `seconds` allow, however many attempts that takes (`maxAttempts` caps
    /// them when given): what `--retry-budget` sets, so a stage rides out a server restart.
    public static func budget(_ seconds: TimeInterval, maxAttempts: Int? = nil) -> S3RetryPolicy {
        S3RetryPolicy(maxAttempts: maxAttempts ?? Int.max, baseDelay: 0.25, maxDelay: 8, maxTotal: seconds)
    }

    /// The wait after failed attempt `attempt` (1-based): half to all of the exponential step.
    func delay(after attempt: Int) -> TimeInterval {
        RetryBackoff(base: baseDelay, ceiling: maxDelay).delay(after: attempt)
    }
}

/// Everything an `S3Client` needs besides the bucket.
public struct S3Configuration: Sendable {
    /// How the bucket appears in request URLs.
    public enum Addressing: String, Sendable {
        /// `https://endpoint/bucket/key`: MinIO, Ceph RGW, moto and any custom endpoint.
        case path
        /// `https://bucket.endpoint/key`: AWS's own endpoints.
        case virtualHosted
    }

    /// Scheme, host and port, no path.
    public var endpoint: URL
    public var region: String
    public var credentials: S3Credentials
    public var addressing: Addressing
    public var retry: S3RetryPolicy
    /// Files larger than this go up as a multipart upload in parts of this size (S3 requires at
    /// least 5 MiB per part but the last, and at most 10,000 parts).
    public var partSize: Int
    /// Parts uploading at once, each on its own connection, read from the file as it is sent.
    public var partsInFlight: Int
    /// A request fails when the connection stays silent this long.
    public var idleTimeout: TimeInterval
    /// Sign the SHA-256 of every body (the server then rejects a body changed in transit) rather
    /// than sending `UNSIGNED-PAYLOAD`. Costs one hash pass over each uploaded byte.
    public var signPayload: Bool
    /// Told when requests start retrying against a server that does not answer, and when it does again.
    public var outageNotice: OutageNotice?

    public init(endpoint: URL, region: String, credentials: S3Credentials, addressing: Addressing = .path,
                retry: S3RetryPolicy = S3RetryPolicy(), partSize: Int = 16 << 20, partsInFlight: Int = 4,
                idleTimeout: TimeInterval = 60, signPayload: Bool = true) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.addressing = addressing
        self.retry = retry
        self.partSize = partSize
        self.partsInFlight = partsInFlight
        self.idleTimeout = idleTimeout
        self.signPayload = signPayload
    }

    /// Reads the standard variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (both required),
    /// `AWS_SESSION_TOKEN`, `AWS_REGION` or `AWS_DEFAULT_REGION` (default us-east-1),
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (default AWS's regional endpoint, addressed
    /// virtual-hosted style; any other endpoint is addressed path style), `AWS_MAX_ATTEMPTS`.
    /// With `retryBudget`, failed requests are retried for that many seconds (see `S3RetryPolicy.budget`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       bucket: String? = nil, retryBudget: TimeInterval? = nil) throws -> S3Configuration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        guard let keyID = value("AWS_ACCESS_KEY_ID") else { throw S3ConfigurationError.missing("AWS_ACCESS_KEY_ID") }
        guard let secret = value("AWS_SECRET_ACCESS_KEY") else { throw S3ConfigurationError.missing("AWS_SECRET_ACCESS_KEY") }
        let credentials = S3Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1"

        var maxAttempts: Int?
        if let text = value("AWS_MAX_ATTEMPTS") {
            guard let attempts = Int(text), attempts >= 1 else {
                throw S3ConfigurationError.invalid("AWS_MAX_ATTEMPTS", value: text, reason: "expected a whole number ≥ 1")
            }
            maxAttempts = attempts
        }
        var retry = retryBudget.map { S3RetryPolicy.budget($0, maxAttempts: maxAttempts) } ?? S3RetryPolicy()
        if retryBudget == nil, let maxAttempts { retry.maxAttempts = maxAttempts }

        let endpoint: URL, addressing: Addressing
        if let name = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].first(where: { value($0) != nil }) {
            endpoint = try parseEndpoint(value(name)!, variable: name)
            addressing = .path
        } else {
            endpoint = URL(string: "https://s3.\(region).amazonaws.com")!
            // Bucket names with dots do not match the wildcard TLS certificate of bucket.s3….
            addressing = bucket?.contains(".") == true ? .path : .virtualHosted
        }
        return S3Configuration(endpoint: endpoint, region: region, credentials: credentials, addressing: addressing,
                               retry: retry)
    }

    static func parseEndpoint(_ text: String, variable: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw S3ConfigurationError.invalid(variable, value: text, reason: "expected http://host[:port] or https://host[:port]")
        }
        guard url.path.isEmpty || url.path == "/", url.query == nil else {
            throw S3ConfigurationError.invalid(variable, value: text, reason: "the endpoint takes no path or query; put the bucket in the s3:// URL")
        }
        var components = URLComponents()
        components.scheme = scheme
        components.host = host
        components.port = url.port
        return components.url!
    }
}

/// A store location or setting that cannot be used; names the variable or URL and what is valid.
public enum S3ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case invalid(String, value: String, reason: String)
    case invalidLocation(String, reason: String)

    public var description: String {
        switch self {
        case .missing(let name):
            return "\(name) is not set: S3 credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)"
        case let .invalid(name, value, reason):
            return "\(name)='\(value)' is not valid: \(reason)"
        case let .invalidLocation(url, reason):
            return "'\(url)' is not an S3 location: \(reason)"
        }
    }
}
