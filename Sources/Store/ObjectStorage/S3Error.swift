// A failed S3 request, as one line naming the operation, the object, the endpoint, the HTTP status and
// S3 error code, and what to check. Never carries credentials or signatures.
import Foundation

/// Why an S3 request failed, after any retries.
public struct S3Error: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The server answered with an error status; `code` and `message` come from its XML body.
        case status(Int, code: String?, message: String?)
        /// No answer: connection refused or reset, timeout, name not found (libcurl's words).
        case transport(String)
        /// The server's answer could not be understood.
        case malformedResponse(String)
        /// The connection ended before the announced body did, on every attempt.
        case truncated(received: Int64, expected: Int64)
        /// The answer to a (resumed) GET does not continue the bytes asked for; the next attempt asks again.
        case unusableAnswer(String)
    }

    /// `PUT`, `GET`, `HEAD`, `DELETE`, `LIST`, `CREATE MULTIPART UPLOAD`, ….
    public let operation: String
    /// `s3://bucket/key` (or `s3://bucket` for bucket-level calls).
    public let target: String
    public let endpoint: String
    public let reason: Reason
    /// Attempts made, and the seconds from the first one's start to the failure.
    public let attempts: Int
    public let seconds: Double

    /// The S3 error code (`NoSuchBucket`, `SignatureDoesNotMatch`, …), when the server sent one.
    public var code: String? {
        if case let .status(_, code, _) = reason { return code }
        return nil
    }

    public var status: Int? {
        if case let .status(status, _, _) = reason { return status }
        return nil
    }

    /// Worth another attempt: no answer, a server-side error, throttling or a request timeout.
    var isRetryable: Bool {
        switch reason {
        case .transport, .truncated, .unusableAnswer: return true
        case .malformedResponse: return false
        case let .status(status, code, _):
            return status >= 500 || status == 408 || status == 429
                || ["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable"].contains(code ?? "")
        }
    }

    /// The reason alone, for a line saying what a retry waits for.
    var shortReason: String {
        switch reason {
        case let .status(status, code, _): return "HTTP \(status)\(code.map { " \($0)" } ?? "")"
        case .transport(let text), .malformedResponse(let text), .unusableAnswer(let text): return text
        case let .truncated(received, expected): return "the connection closed after \(received) of \(expected) bytes"
        }
    }

    public var description: String {
        let tries = attempts > 1 ? String(format: " (%d attempts over %.1f s)", attempts, seconds) : ""
        let head = "S3 \(operation) \(target) at \(endpoint) failed\(tries)"
        switch reason {
        case let .status(status, code, message):
            let what = [code, message].compactMap { $0 }.joined(separator: ": ")
            return "\(head): HTTP \(status)\(what.isEmpty ? "" : " \(what)")\(hint.map { "; \($0)" } ?? "")"
        case .transport(let text):
            return "\(head): \(text); check that the endpoint (AWS_ENDPOINT_URL) is up and reachable"
        case .malformedResponse(let text):
            return "\(head): unexpected response: \(text)"
        case let .truncated(received, expected):
            return "\(head): the connection closed after \(received) of \(expected) bytes"
        case .unusableAnswer(let text):
            return "\(head): \(text)"
        }
    }

    /// What a user can do about the common codes.
    private var hint: String? {
        switch code {
        case "NoSuchBucket": return "create the bucket, or fix the bucket name in the store location"
        case "InvalidAccessKeyId": return "check AWS_ACCESS_KEY_ID"
        case "SignatureDoesNotMatch": return "check AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)"
        case "ExpiredToken", "InvalidToken": return "renew the temporary credentials in AWS_SESSION_TOKEN"
        case "AccessDenied": return "the credentials lack permission for this request"
        case "PermanentRedirect", "AuthorizationHeaderMalformed": return "the bucket is in another region: set AWS_REGION"
        case "RequestTimeTooSkewed": return "this machine's clock is off: synchronise it (NTP)"
        default: return nil
        }
    }
}
