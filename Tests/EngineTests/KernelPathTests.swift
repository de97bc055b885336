// Every kernel path this machine runs gives the same bits: each kernel against a scalar reference
// (FMA where the kernel contract says fma, everything else unfused) on odd shapes, a few DenseNet
// training steps compared weight for weight, and TLAB_KERNELS values that must be refused.
import EngineKernels
import XCTest
@testable import Engine

final class KernelPathTests: XCTestCase {
    private var paths: [KernelPath] { KernelPath.runnable }

    /// `tile_packed`, `tile_offsets` and `tile_rows` on every edge shape (rows 1-6, cols 1-16), depths
    /// 0, 1 and odd, beta 0 (over garbage C) and not, against one FMA chain per element.
    func testTileKernelsMatchTheScalarReferenceOnEveryPath() {
        for path in paths {
            let tables = tlk_kernels_for(path.cPath)!.pointee
            for kc in [0, 1, 7, 37] {
                let a = GEMMTests.randomValues(6 * kc, seed: UInt64(kc)), b = GEMMTests.randomValues(16 * kc + 16, seed: 99)
                for (rows, cols) in [(6, 16), (1, 1), (5, 16), (6, 9), (3, 7)] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-1.25, 0.75)] {
                        let ldc = 19
                        let old = GEMMTests.randomValues(6 * ldc, seed: 7).map { beta == 0 ? .nan : $0 }
                        // Element (i, j): fma chain over depth, then acc·alpha or c·beta + acc·alpha.
                        var expected = old
                        for i in 0..<rows {
                            for j in 0..<cols {
                                var acc: Float = 0
                                for p in 0..<kc { acc = acc.addingProduct(a[p * 6 + i], b[p * 16 + j]) }
                                let c = old[i * ldc + j]
                                expected[i * ldc + j] = beta == 0 ? acc * alpha : c * beta + acc * alpha
                            }
                        }
                        let rowsOfA = (0..<6).map { r in (0..<max(kc, 1)).map { p in p < kc ? a[p * 6 + r] : 0 } }
                        // Depth steps stored in reverse, so a kernel that ignored the offsets would read the
                        // wrong rows: B's step p lives at (kc − 1 − p)·16 of `reversedB`.
                        let offsets = (0..<kc).map { (kc - 1 - $0) * 16 }
                        var reversedB = b
                        for p in 0..<kc { for j in 0..<16 { reversedB[(kc - 1 - p) * 16 + j] = b[p * 16 + j] } }
                        let results = [
                            run(old) { c in tables.tile_packed(kc, a, b, c, ldc, rows, cols, alpha, beta) },
                            run(old) { c in tables.tile_offsets(kc, a, reversedB, offsets, c, ldc, rows, cols, alpha, beta) },
                            run(old) { c in
                                withRowPointers(rowsOfA) { tables.tile_rows(kc, $0, b, c, ldc, rows, cols, alpha, beta) }
                            },
                        ]
                        for (kernel, result) in zip(["packed", "offsets", "rows"], results) {
                            XCTAssertEqual(result.map(\.bitPattern), expected.map(\.bitPattern),
                                           "\(path) tile_\(kernel) kc \(kc) \(rows)x\(cols) alpha \(alpha) beta \(beta)")
                        }
                    }
                }
            }
        }
    }

    /// The lane kernels of output moments and BatchNorm, on counts that end in a partial octet.
    func testLaneKernelsMatchTheScalarReferenceOnEveryPath() {
        for path in paths {
            let tables = tlk_kernels_for(path.cPath)!.pointee
            for count in [1, 8, 13, 29] {
                let x = GEMMTests.randomValues(count, seed: 41), dy = GEMMTests.randomValues(count, seed: 42)
                let mean = GEMMTests.randomValues(8, seed: 43), scale = GEMMTests.randomValues(8, seed: 44)
                let shift = GEMMTests.randomValues(8, seed: 45)
                // Lane l sees elements l, l+8, …; padded lanes add 0 (moments, gradient sums) or
                // (mean − mean)² = 0 (squared deviations).
                var sums = GEMMTests.randomValues(8, seed: 46), squares = GEMMTests.randomValues(8, seed: 47)
                var deviations = [Float](repeating: 0, count: 8)
                var dzWithReLU = [Float](repeating: 0, count: 8), centredWithReLU = dzWithReLU
                var dzPlain = dzWithReLU, centredPlain = dzWithReLU
                let sumsIn = sums, squaresIn = squares
                var expected = (sums: sumsIn, squares: squaresIn, deviations: [Float](repeating: 0, count: 8),
                                dzReLU: [Float](repeating: 0, count: 8), centredReLU: [Float](repeating: 0, count: 8),
                                dz: [Float](repeating: 0, count: 8), centred: [Float](repeating: 0, count: 8))
                for t in stride(from: 0, to: count, by: 8) {
                    for l in 0..<8 {
                        let real = t + l < count
                        let v = real ? x[t + l] : 0, g = real ? dy[t + l] : 0
                        expected.sums[l] += v
                        expected.squares[l] = expected.squares[l].addingProduct(v, v)
                        let d = (real ? x[t + l] : mean[l]) - mean[l]
                        expected.deviations[l] = expected.deviations[l].addingProduct(d, d)
                        let masked: Float = v * scale[l] + shift[l] > 0 ? g : 0
                        expected.dzReLU[l] += masked
                        expected.centredReLU[l] = expected.centredReLU[l].addingProduct(masked, v - mean[l])
                        expected.dz[l] += g
                        expected.centred[l] = expected.centred[l].addingProduct(g, v - mean[l])
                    }
                }
                tables.moments_add(&sums, &squares, x, count)
                tables.squared_deviations(&deviations, x, count, mean)
                tables.batchnorm_gradient_sums(&dzWithReLU, &centredWithReLU, x, dy, count, mean, scale, shift, 1)
                tables.batchnorm_gradient_sums(&dzPlain, &centredPlain, x, dy, count, mean, scale, shift, 0)
                let pairs = [("moments sums", sums, expected.sums), ("moments squares", squares, expected.squares),
                             ("squared deviations", deviations, expected.deviations),
                             ("relu dz", dzWithReLU, expected.dzReLU), ("relu dz·(x−mean)", centredWithReLU, expected.centredReLU),
                             ("dz", dzPlain, expected.dz), ("dz·(x−mean)", centredPlain, expected.centred)]
                for (name, got, want) in pairs {
                    XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "\(path) \(name), count \(count)")
                }
            }
        }
    }

    /// Three Adam steps of a DenseNet-BC (BatchNorm statistics and backward, output moments, strided
    /// and stride-1 convolutions, the dense head) end in the same bits on every path.
    func testTrainingEndsInTheSameWeightsOnEveryPath() throws {
        let config = ModelConfig(inputShape: [1, 12, 12],
                                 backbone: DenseNetConfig(growthRate: 4, blockSizes: [2, 2], initialChannels: 8,
                                                          bottleneckChannels: 8, compression: 0.5, stem: .imagenet,
                                                          convolutionInit: .heNormalFanOut),
                                 head: .linear(classes: 3))
        guard paths.count > 1 else { throw XCTSkip("this CPU runs one kernel path only (\(paths)); nothing to compare") }
        var weights: [(KernelPath, [String: Tensor])] = []
        for path in paths {
            try withKernelPath(path) {
                let model = try Model(config, seed: 11)
                let trainer = Trainer(network: model, optimizer: .adam(parameters: model.parameters, learningRate: 1e-2),
                                      options: TrainingOptions(epochs: 1, batchSize: 4, seed: 3))
                try trainer.fit(ModelTests.examples(12, seed: 12, shape: [1, 12, 12]), validation: nil)
                weights.append((path, model.snapshot()))
            }
        }
        let (firstPath, first) = weights[0]
        for (path, other) in weights.dropFirst() {
            XCTAssertEqual(Set(other.keys), Set(first.keys))
            for (name, tensor) in first {
                XCTAssertEqual(other[name]!.array.map(\.bitPattern), tensor.array.map(\.bitPattern),
                               "\(name): \(path) differs from \(firstPath)")
            }
        }
        print("KernelPathTests: paths \(weights.map(\.0.rawValue)), weights digest "
              + String(DenseNetBufferReuseTests.digest(first), radix: 16))
    }

    func testEnvironmentValuesAreResolvedOrRefusedByName() throws {
        let fastest = try KernelSelection.resolve(forced: nil)
        XCTAssertEqual(fastest, KernelSelection(path: KernelPath.runnable[0], forced: false))
        XCTAssertEqual(try KernelSelection.resolve(forced: ""), fastest)
        XCTAssertEqual(try KernelSelection.resolve(forced: "portable"), KernelSelection(path: .portable, forced: true))
        XCTAssertEqual(try KernelSelection.resolve(forced: "portable").description,
                       "portable (forced by TLAB_KERNELS=portable)")
        XCTAssertThrowsError(try KernelSelection.resolve(forced: "avx512")) { error in
            XCTAssertEqual(error as? KernelPathError, .unknown("avx512"))
            XCTAssertTrue("\(error)".hasPrefix("TLAB_KERNELS=avx512 is not a kernel path; valid here: "), "\(error)")
        }
        #if arch(x86_64)
        XCTAssertThrowsError(try KernelSelection.resolve(forced: "neon")) { error in
            XCTAssertEqual(error as? KernelPathError, .notRunnable(.neon))
            XCTAssertTrue("\(error)".contains("cannot run the neon kernels; valid here: "), "\(error)")
        }
        #endif
    }

    private func run(_ c: [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var c = c
        c.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return c
    }

    private func withRowPointers(_ rows: [[Float]], _ body: (UnsafePointer<UnsafePointer<Float>>) -> Void) {
        let copies = rows.map { row -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: row.count)
            p.initialize(from: row, count: row.count)
            return p
        }
        defer { copies.forEach { $0.deallocate() } }
        let pointers = copies.map { UnsafePointer($0) }
        pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
