// sgemm against a naive float64 triple loop, on shapes that hit every tile edge and blocking boundary.
import XCTest
@testable import Engine

final class GEMMTests: XCTestCase {
    /// Uniform values in [-1, 1) from a counter-based stream, so every run sees the same matrices.
    static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        let random = CounterRandom(seed: seed)
        return (0..<count).map { random.uniform(at: UInt64($0)) * 2 - 1 }
    }

    /// The expected result, summed in Double.
    static func naiveGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float],
                          lda: Int, b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                out[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
        return out
    }

    /// Runs sgemm on the given shape with padded leading dimensions and checks every element of C,
    /// including the padding columns, which must stay untouched.
    func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float = 1, beta: Float = 0,
               file: StaticString = #filePath, line: UInt = #line) {
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2
        let a = Self.randomValues((transA ? k : m) * lda, seed: 1)
        let b = Self.randomValues((transB ? n : k) * ldb, seed: 2)
        var c = Self.randomValues(m * ldc, seed: 3)
        let expected = Self.naiveGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a,
                                      lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: &c, ldc: ldc)
        let scale = Float(max(1, k)).squareRoot()
        for i in 0..<(m * ldc) where abs(c[i] - expected[i]) > 1e-5 * scale * max(1, abs(expected[i])) {
            XCTFail("m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB) α=\(alpha) β=\(beta): C[\(i / ldc), \(i % ldc)] = "
                    + "\(c[i]), expected \(expected[i])", file: file, line: line)
            return
        }
    }

    func testOddShapesInEveryTransposeCombination() {
        for (m, n, k) in [(1, 1, 1), (7, 13, 5), (6, 16, 1), (13, 33, 257), (131, 250, 301)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    check(m: m, n: n, k: k, transA: transA, transB: transB)
                }
            }
        }
    }

    func testAlphaAndBetaScaleTheProductAndTheOldC() {
        check(m: 19, n: 37, k: 300, transA: false, transB: false, alpha: 0.5, beta: 1)
        check(m: 19, n: 37, k: 300, transA: true, transB: false, alpha: -2, beta: 0.25)
        check(m: 5, n: 3, k: 0, transA: false, transB: true, alpha: 1, beta: 0.5)
    }

    func testBetaZeroIgnoresNaNInC() {
        var c = [Float](repeating: .nan, count: 7 * 9)
        let a = Self.randomValues(7 * 4, seed: 4), b = Self.randomValues(4 * 9, seed: 5)
        sgemm(transA: false, transB: false, m: 7, n: 9, k: 4, alpha: 1, a: a, lda: 4, b: b, ldb: 9,
              beta: 0, c: &c, ldc: 9)
        XCTAssertFalse(c.contains { $0.isNaN })
    }

    func testLargeSquareAcrossSeveralBlocks() {
        check(m: 61, n: 3100, k: 300, transA: false, transB: false, alpha: 1, beta: 0)
    }
}
