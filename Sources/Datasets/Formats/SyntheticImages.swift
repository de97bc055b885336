// A seeded synthetic 10-class image task (shapes, stripes, textures at random sizes, positions, contrast,
// with pixel noise) for tests and the smoke pipeline: learnable by a small CNN, not by a template match.
import Engine

/// Generates the synthetic data set. Each image draws its class pattern into a box of random size and
/// position, over a random background level, in a random tint (colour images), plus noise.
/// The same arguments give the same bytes, whatever the machine load or thread count.
public enum SyntheticImages {
    public static let classNames = ["square", "frame", "disc", "ring", "horizontal stripes",
                                    "vertical stripes", "diagonal stripes", "checkerboard", "cross", "triangle"]

    /// `count` images of `channels × side × side` (1 or 3 channels, side ≥ 12), classes balanced to
    /// within one image and in seeded random order.
    public static func generate(count: Int, channels: Int, side: Int, seed: UInt64) throws -> ImageDataset {
        let labels = try self.labels(count: count, channels: channels, side: side, seed: seed)
        var pixels = [UInt8](repeating: 0, count: count * channels * side * side)
        pixels.withUnsafeMutableBufferPointer { out in
            draw(0..<count, labels: labels, channels: channels, side: side, seed: seed, into: out)
        }
        return try ImageDataset(channels: channels, height: side, width: side, pixels: .uint8(pixels),
                                labels: labels, classNames: classNames)
    }

    /// The labels of the `count` images `generate` makes: the data set in order, without its pixels.
    public static func labels(count: Int, channels: Int, side: Int, seed: UInt64) throws -> [Int32] {
        guard count >= 0, channels == 1 || channels == 3, side >= 12 else {
            throw DatasetError.invalidParameter("synthetic data needs count ≥ 0, 1 or 3 channels and"
                                                + " side ≥ 12 (got \(count), \(channels), \(side))")
        }
        return CounterRandom(seed: seed).stream(0).permutation(count).map { Int32($0 % classNames.count) }
    }

    /// Draws images `range` of the data set (`labels` from `labels(count:…)`) into `out`, image after
    /// image: the same bytes as those images of `generate`, so a large set is made a piece at a time.
    /// Images are drawn in parallel; each depends only on its own index.
    public static func draw(_ range: Range<Int>, labels: [Int32], channels: Int, side: Int, seed: UInt64,
                            into out: UnsafeMutableBufferPointer<UInt8>) {
        let size = channels * side * side
        precondition(out.count >= range.count * size, "\(out.count) bytes for \(range.count) images of \(size)")
        let random = CounterRandom(seed: seed)
        parallelFor(chunks: range.count) { k in
            let i = range.lowerBound + k
            let image = UnsafeMutableBufferPointer(rebasing: out[k * size ..< (k + 1) * size])
            draw(Int(labels[i]), into: image, channels: channels, side: side, random: random.stream(UInt64(i) + 1))
        }
    }

    /// One RGB image of class `label`, `side` × `side`, channel-planar, drawn from `random`: for
    /// sample image folders, which pick each image's class and size themselves.
    package static func image(of label: Int, side: Int, random: CounterRandom) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: 3 * side * side)
        pixels.withUnsafeMutableBufferPointer { draw(label, into: $0, channels: 3, side: side, random: random) }
        return pixels
    }

    private static func draw(_ label: Int, into image: UnsafeMutableBufferPointer<UInt8>, channels: Int,
                             side: Int, random: CounterRandom) {
        let parameters = random.stream(0)
        var draws: UInt64 = 0
        func uniform(_ low: Float, _ high: Float) -> Float {
            defer { draws += 1 }
            return low + (high - low) * parameters.uniform(at: draws)
        }
        let box = Int(uniform(0.4, 0.85) * Float(side))
        let x0 = Int(uniform(0, Float(side - box + 1)))
        let y0 = Int(uniform(0, Float(side - box + 1)))
        let period = Int(uniform(3, 7))  // stripe period and checker cell, in pixels
        let background = uniform(0.05, 0.45)
        let contrast = uniform(0.3, 0.55)
        let tint = (0..<channels).map { _ in channels == 1 ? 1 : uniform(0.4, 1) }
        let noiseLevel = uniform(0.05, 0.15)
        let noise = random.stream(1)

        for y in 0..<side {
            for x in 0..<side {
                let inside = x >= x0 && x < x0 + box && y >= y0 && y < y0 + box
                let on = inside && covers(label, dx: x - x0, dy: y - y0, box: box, period: period)
                for c in 0..<channels {
                    let index = (c * side + y) * side + x
                    // Irwin-Hall sum of three uniforms: near-Gaussian noise without libm.
                    let n = UInt64(index) * 3
                    let jitter = noise.uniform(at: n) + noise.uniform(at: n + 1) + noise.uniform(at: n + 2) - 1.5
                    let value = background + (on ? contrast * tint[c] : 0) + noiseLevel * jitter
                    image[index] = UInt8((min(max(value, 0), 1) * 255).rounded())
                }
            }
        }
    }

    /// Whether the pattern of class `label` covers offset (dx, dy) inside its box of side `box`.
    private static func covers(_ label: Int, dx: Int, dy: Int, box: Int, period: Int) -> Bool {
        // Centred coordinates in units of the box: u, v in (-0.5, 0.5).
        let u = (Float(dx) + 0.5) / Float(box) - 0.5
        let v = (Float(dy) + 0.5) / Float(box) - 0.5
        let r2 = u * u + v * v
        let border = max(1, box / 6)
        switch label {
        case 0: return true
        case 1: return dx < border || dy < border || dx >= box - border || dy >= box - border
        case 2: return r2 < 0.25
        case 3: return r2 < 0.25 && r2 > 0.1
        case 4: return dy % period < (period + 1) / 2
        case 5: return dx % period < (period + 1) / 2
        case 6: return (dx + dy) % period < (period + 1) / 2
        case 7: return (dx / max(2, period / 2) + dy / max(2, period / 2)) % 2 == 0
        case 8: return abs(u) < 0.15 || abs(v) < 0.15
        default: return v + 0.5 > 2 * abs(u)  // triangle, apex at the top
        }
    }
}
