// A `tlab serve` process on a store, and plain HTTP requests to it (redirects not followed, so a test
// sees each answer as the server gave it).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// `tlab serve` running on a free loopback port until the test ends.
final class ServedStore {
    let process: Process
    /// `http://127.0.0.1:PORT`: the port the server's first line names (on loopback, whatever address it listens on).
    let base: String

    /// Starts `tlab serve --store store --port 0 arguments…` and waits (30 s at most) for the line
    /// naming its address.
    init(_ test: XCTestCase, store: URL, arguments: [String] = []) throws {
        process = Process()
        process.executableURL = test.productsDirectory.appendingPathComponent("tlab")
        process.arguments = ["serve", "--store", store.path, "--port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TLAB_STORE")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let process = self.process
        test.addTeardownBlock {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        // A server that never prints would block the read below: end it after the deadline.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        watchdog.cancel()
        guard let range = text.range(of: #":[0-9]+/"#, options: .regularExpression), text.contains("http://") else {
            throw ServeTestError.didNotStart(text)
        }
        base = "http://127.0.0.1" + text[range].dropLast()
    }
}

enum ServeTestError: Error, CustomStringConvertible {
    /// The server ended (or printed nothing within 30 s) before naming its address; what it printed.
    case didNotStart(String)

    var description: String {
        switch self {
        case let .didNotStart(output): return "tlab serve did not name its address; it printed '\(output)'"
        }
    }
}

/// One answer: status, headers (names lower-cased) and body.
struct HTTPAnswer {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends one request and returns the answer as is (a redirect is not followed).
func httpRequest(_ url: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) throws -> HTTPAnswer {
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: 120)
    request.httpMethod = method
    request.httpBody = body
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let delegate = NoRedirects()
    let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
    defer { session.finishTasksAndInvalidate() }
    let done = DispatchSemaphore(value: 0)
    final class Result: @unchecked Sendable { var value: (Data?, URLResponse?, Error?) = (nil, nil, nil) }
    let result = Result()
    session.dataTask(with: request) { data, response, error in
        result.value = (data, response, error)
        done.signal()
    }.resume()
    done.wait()
    if let error = result.value.2 { throw error }
    let response = result.value.1 as! HTTPURLResponse
    var headers: [String: String] = [:]
    for (name, value) in response.allHeaderFields { headers["\(name)".lowercased()] = "\(value)" }
    return HTTPAnswer(status: response.statusCode, headers: headers, body: result.value.0 ?? Data())
}

private final class NoRedirects: NSObject, URLSessionTaskDelegate {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
