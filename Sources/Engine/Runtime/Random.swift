// A seeded, counter-based random generator: the n-th number depends only on (seed, stream, n), so
// results never depend on thread count or on the order work is done in.

/// Random numbers for one purpose (initialising a layer, dropout in one step, shuffling one epoch).
///
/// `uniform(at:)` is a pure function of `(seed, stream, index)`: workers can draw the numbers of their
/// own chunk without coordinating. Derive independent streams with `stream(_:)`.
public struct CounterRandom: Sendable, Equatable {
    public let seed: UInt64
    public let stream: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// An independent generator for sub-purpose `id` (layer index, epoch number, …).
    public func stream(_ id: UInt64) -> CounterRandom {
        CounterRandom(seed: seed, stream: CounterRandom.mix(stream &+ 0x9E37_79B9_7F4A_7C15 &* (id &+ 1)))
    }

    /// 64 random bits for `index`.
    @inline(__always)
    public func bits(at index: UInt64) -> UInt64 {
        CounterRandom.mix(CounterRandom.mix(seed ^ stream) &+ index &* 0xD1B5_4A32_D192_ED03)
    }

    /// Uniform in [0, 1), 24 bits of precision.
    @inline(__always)
    public func uniform(at index: UInt64) -> Float {
        Float(bits(at: index) >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal, by Box-Muller over two counters (`2 * index`, `2 * index + 1`).
    public func normal(at index: UInt64) -> Float {
        let u1 = max(Double(bits(at: 2 &* index) >> 11) * 0x1p-53, 0x1p-60)
        let u2 = Double(bits(at: 2 &* index &+ 1) >> 11) * 0x1p-53
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A permutation of `0..<n` (Fisher-Yates driven by the counters).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(bits(at: UInt64(i)) % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// SplitMix64's finaliser: a bijective mix with good avalanche.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
