// Headless Chromium driven through chromedriver's W3C WebDriver HTTP API on 127.0.0.1, for tests that
// look at pages as a person would: load, click, read the console, take screenshots. Debian's chromium
// and chromium-driver (scripts/setup) are the browser and its driver.
import Foundation
import TestSupport

/// A chromedriver process and one browser session, ended by `stop()`.
final class ChromeDriver {
    let process: Process
    /// `http://127.0.0.1:PORT`.
    let base: String
    private(set) var session = ""

    /// Starts chromedriver on a free loopback port and opens a headless browser `width`×`height`;
    /// nil where chromium or chromedriver is not installed.
    static func start(width: Int = 1280, height: Int = 900) throws -> ChromeDriver? {
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
        let client = ChromeDriver(process: process, base: "http://127.0.0.1:\(port)")
        let deadline = Date().addingTimeInterval(30)
        var lastError: Error?
        while true {
            do {
                _ = try client.request("GET", "/status")
                break
            } catch {
                lastError = error
            }
            guard Date() < deadline, process.isRunning else {
                let state = process.isRunning ? "running" : "exited with status \(process.terminationStatus)"
                if process.isRunning { process.terminate() }
                throw WebDriverError(message: "chromedriver (\(state)) did not answer on port \(port) within 30 s: \(lastError.map { "\($0)" } ?? "")")
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

    init(process: Process, base: String) {
        self.process = process
        self.base = base
    }

    func stop() {
        if !session.isEmpty { _ = try? request("DELETE", "/session/\(session)") }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    func open(_ url: String) throws {
        _ = try request("POST", "/session/\(session)/url", ["url": url])
    }

    /// Runs `script` (a function body; `arguments[0]`… are `arguments`) in the page and returns its value.
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) throws -> Any {
        try request("POST", "/session/\(session)/execute/sync", ["script": script, "args": arguments])
    }

    /// Clicks the first element `selector` (CSS) matches.
    func click(_ selector: String) throws {
        let element = try request("POST", "/session/\(session)/element", ["using": "css selector", "value": selector])
        guard let id = (element as? [String: Any])?.values.first as? String else {
            throw WebDriverError(message: "no element matches \(selector)")
        }
        _ = try request("POST", "/session/\(session)/element/\(id)/click", [:])
    }

    /// The browser console's messages since the last call, as (level, text).
    func consoleMessages() throws -> [(level: String, message: String)] {
        let entries = try request("POST", "/session/\(session)/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { (level: $0["level"] as? String ?? "", message: $0["message"] as? String ?? "") }
    }

    /// The page as PNG.
    func screenshot() throws -> Data {
        guard let text = try request("GET", "/session/\(session)/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw WebDriverError(message: "chromedriver returned no screenshot")
        }
        return data
    }

    var currentURL: String {
        get throws { try request("GET", "/session/\(session)/url") as? String ?? "" }
    }

    /// One WebDriver command; returns the answer's `value`. Through curl: chromedriver writes its
    /// headers without a space after the colon, which FoundationNetworking's URLSession rejects.
    func request(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--max-time", "120", "-X", method, "-H", "Content-Type: application/json",
                          "-w", "\n%{http_code}", "--data-binary", "@-", base + path]
        if body == nil { curl.arguments!.removeAll { $0 == "--data-binary" || $0 == "@-" } }
        let input = Pipe(), output = Pipe()
        curl.standardInput = input
        curl.standardOutput = output
        try curl.run()
        if let body { input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: body)) }
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0, let split = data.lastIndex(of: UInt8(ascii: "\n")),
              let status = Int(String(decoding: data[(split + 1)...], as: UTF8.self)) else {
            throw WebDriverError(message: "\(method) \(path): curl ended with status \(curl.terminationStatus)")
        }
        let json = try JSONSerialization.jsonObject(with: data[..<split], options: [.fragmentsAllowed])
        let value = (json as? [String: Any])?["value"] ?? NSNull()
        if status >= 400 {
            throw WebDriverError(message: "\(method) \(path) answered \(status): \(value)")
        }
        return value
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
