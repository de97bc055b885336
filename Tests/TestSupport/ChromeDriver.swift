// Headless Chromium driven through chromedriver's W3C WebDriver HTTP API on 127.0.0.1, for tests that
// look at pages as a person would: load, click, read the console, take screenshots. Debian's chromium
// and chromium-driver (scripts/setup) are the browser and its driver.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A chromedriver process and one browser session, ended by `stop()`.
public final class ChromeDriver {
    public let process: Process
    let base: URL
    public private(set) var session = ""

    /// Starts chromedriver on a free loopback port and opens a headless browser `width`×`height`;
    /// nil where chromium or chromedriver is not installed.
    public static func start(width: Int = 1280, height: Int = 900) throws -> ChromeDriver? {
        let driver = "/usr/bin/chromedriver", browser = "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: driver), FileManager.default.isExecutableFile(atPath: browser) else {
            return nil
        }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = ChromeDriver(process: process, base: URL(string: "http://127.0.0.1:\(port)")!)
        let deadline = Date().addingTimeInterval(30)
        while (try? client.request("GET", "/status")) == nil {
            guard Date() < deadline, process.isRunning else {
                process.terminate()
                throw WebDriverError(message: "chromedriver did not answer on port \(port) within 30 s")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let answer = try client.request("POST", "/session", [
            "capabilities": ["alwaysMatch": [
                "browserName": "chrome",
                "goog:chromeOptions": [
                    "binary": browser,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--window-size=\(width),\(height)", "--no-first-run", "--disable-extensions"],
                ],
                "goog:loggingPrefs": ["browser": "ALL"],
            ]],
        ])
        guard let id = (answer as? [String: Any])?["sessionId"] as? String else {
            client.stop()
            throw WebDriverError(message: "chromedriver opened no session: \(answer)")
        }
        client.session = id
        return client
    }

    init(process: Process, base: URL) {
        self.process = process
        self.base = base
    }

    public func stop() {
        if !session.isEmpty { _ = try? request("DELETE", "/session/\(session)") }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    public func open(_ url: String) throws {
        _ = try request("POST", "/session/\(session)/url", ["url": url])
    }

    /// Runs `script` (a function body; `arguments[0]`… are `arguments`) in the page and returns its value.
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = []) throws -> Any {
        try request("POST", "/session/\(session)/execute/sync", ["script": script, "args": arguments])
    }

    /// Clicks the first element `selector` (CSS) matches.
    public func click(_ selector: String) throws {
        let element = try request("POST", "/session/\(session)/element", ["using": "css selector", "value": selector])
        guard let id = (element as? [String: Any])?.values.first as? String else {
            throw WebDriverError(message: "no element matches \(selector)")
        }
        _ = try request("POST", "/session/\(session)/element/\(id)/click", [:])
    }

    /// The browser console's messages since the last call, as (level, text).
    public func consoleMessages() throws -> [(level: String, message: String)] {
        let entries = try request("POST", "/session/\(session)/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { (level: $0["level"] as? String ?? "", message: $0["message"] as? String ?? "") }
    }

    /// The page as PNG.
    public func screenshot() throws -> Data {
        guard let text = try request("GET", "/session/\(session)/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw WebDriverError(message: "chromedriver returned no screenshot")
        }
        return data
    }

    public var currentURL: String {
        get throws { try request("GET", "/session/\(session)/url") as? String ?? "" }
    }

    /// One WebDriver command; returns the answer's `value`.
    func request(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any {
        var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: 60)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        final class Answer: @unchecked Sendable { var value: (Data?, URLResponse?, Error?) = (nil, nil, nil) }
        let answer = Answer()
        URLSession.shared.dataTask(with: request) { data, response, error in
            answer.value = (data, response, error)
            done.signal()
        }.resume()
        done.wait()
        let result = answer.value
        if let error = result.2 { throw WebDriverError(message: "\(method) \(path): \(error)") }
        let json = try JSONSerialization.jsonObject(with: result.0 ?? Data(), options: [.fragmentsAllowed])
        let value = (json as? [String: Any])?["value"] ?? NSNull()
        if let status = (result.1 as? HTTPURLResponse)?.statusCode, status >= 400 {
            throw WebDriverError(message: "\(method) \(path) answered \(status): \(value)")
        }
        return value
    }
}

public struct WebDriverError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
