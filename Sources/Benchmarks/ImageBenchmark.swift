// Decode and decode + resize throughput on one core, for `tlab bench images`: a folder's JPEG and PNG
// files held in memory (so the disk is not measured), decoded, and resized to a square as
// preprocess does. `benchmarks/reference/bench_pillow_images.py` runs the same on the same files.
import Datasets
import Engine
import Foundation

public enum ImageBenchmark {
    /// Writes `count` photo-like JPEG (quality 90) and PNG files of `width`×`height` into `folder`:
    /// smooth gradients and shaded shapes with faint noise, compressing as photographs roughly do.
    public static func writeCorpus(to folder: String, count: Int = 40, width: Int = 640, height: Int = 480, seed: UInt64 = 0) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<count {
            let image = photoLike(width: width, height: height, seed: seed &+ UInt64(i))
            try ImageEncoder.jpeg(image, quality: 90).write(to: URL(fileURLWithPath: folder + String(format: "/photo-%03d.jpg", i)))
            try ImageEncoder.png(image).write(to: URL(fileURLWithPath: folder + String(format: "/photo-%03d.png", i)))
        }
    }

    /// One timed case.
    public struct Result: Encodable, Sendable {
        public let name: String
        public let images: Int
        public let megapixels: Double
        public let imagesPerSecond: Double
        public let megapixelsPerSecond: Double
        /// Seconds per pass over all images: median, fastest, slowest run.
        public let seconds: [Double]
    }

    /// For each format (`jpeg`, `png`) in `folder`: decode, then decode + resize to `side` by `mode`,
    /// on the calling thread, `runs` passes each (after one untimed pass); the median pass counts.
    /// With `dump`, each resized image is written there as raw RGB (HWC) `<file>.rgb` for comparison.
    public static func measure(folder: String, side: Int, mode: ResizeMode, runs: Int, dump: String? = nil) throws -> [Result] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        var results: [Result] = []
        for (format, extensions) in [("jpeg", ["jpg", "jpeg"]), ("png", ["png"])] {
            let files = names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            guard !files.isEmpty else { continue }
            let contents = try files.map { try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent($0))) }
            var pixels = 0
            for (file, data) in zip(files, contents) {
                let image = try ImageDecoder.decode(data, name: file)
                pixels += image.width * image.height
            }
            var output = [UInt8](repeating: 0, count: 3 * side * side)
            let decode = try time(runs: runs) { for (file, data) in zip(files, contents) { _ = try ImageDecoder.decode(data, name: file) } }
            let resize = try time(runs: runs) {
                for (file, data) in zip(files, contents) {
                    let image = try ImageDecoder.decode(data, name: file)
                    output.withUnsafeMutableBufferPointer { ImageResampler.resize(image, to: side, mode: mode, into: $0.baseAddress!) }
                }
            }
            for (operation, seconds) in [("decode", decode), ("decode+resize-\(side)-\(mode.rawValue)", resize)] {
                let median = seconds[seconds.count / 2]
                results.append(Result(name: "\(format)-\(operation)", images: files.count, megapixels: Double(pixels) / 1e6,
                                      imagesPerSecond: Double(files.count) / median,
                                      megapixelsPerSecond: Double(pixels) / 1e6 / median,
                                      seconds: [median, seconds.first!, seconds.last!]))
            }
            if let dump {
                try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                for (file, data) in zip(files, contents) {
                    let image = try ImageDecoder.decode(data, name: file)
                    output.withUnsafeMutableBufferPointer { ImageResampler.resize(image, to: side, mode: mode, into: $0.baseAddress!) }
                    let plane = side * side
                    let interleaved = (0 ..< 3 * plane).map { output[($0 % 3) * plane + $0 / 3] }
                    try Data(interleaved).write(to: URL(fileURLWithPath: (dump as NSString).appendingPathComponent(file + ".rgb")))
                }
            }
        }
        return results
    }

    /// Seconds of `runs` passes of `body` after one untimed pass, sorted.
    private static func time(runs: Int, _ body: () throws -> Void) throws -> [Double] {
        try body()
        var seconds: [Double] = []
        for _ in 0..<max(runs, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return seconds.sorted()
    }

    /// A smooth picture: a diagonal colour gradient, a dozen shaded ellipses, noise of ±3 levels.
    static func photoLike(width: Int, height: Int, seed: UInt64) -> DecodedImage {
        let random = CounterRandom(seed: seed)
        var draw: UInt64 = 0
        func next() -> Float { defer { draw += 1 }; return random.uniform(at: draw) }
        let image = DecodedImage(width: width, height: height)
        let corners = (0..<6).map { _ in next() * 255 }
        var shapes: [(cx: Float, cy: Float, rx: Float, ry: Float, color: [Float])] = []
        for _ in 0..<12 {
            shapes.append((next() * Float(width), next() * Float(height), (0.05 + 0.2 * next()) * Float(width),
                           (0.05 + 0.2 * next()) * Float(height), [next() * 255, next() * 255, next() * 255]))
        }
        let noise = random.stream(1)
        for y in 0..<height {
            for x in 0..<width {
                let t = (Float(x) / Float(width) + Float(y) / Float(height)) / 2
                var rgb = (0..<3).map { corners[$0] * (1 - t) + corners[$0 + 3] * t }
                for s in shapes {
                    let dx = (Float(x) - s.cx) / s.rx, dy = (Float(y) - s.cy) / s.ry
                    let d = dx * dx + dy * dy
                    if d < 1 { for c in 0..<3 { rgb[c] = s.color[c] * (1 - 0.4 * d) + rgb[c] * 0.4 * d } }
                }
                for c in 0..<3 {
                    let jitter = (noise.uniform(at: UInt64((y * width + x) * 3 + c)) - 0.5) * 6
                    image[x, y, c] = UInt8(max(0, min(255, rgb[c] + jitter)).rounded())
                }
            }
        }
        return image
    }
}
