// The tiled convolution kernels against naive float64 loops and against finite differences, on odd
// shapes, channel-slice views and the fused affine+ReLU input transform.
import XCTest
@testable import Engine

final class ConvolutionTests: XCTestCase {
    struct Case {
        let batch: Int
        let g: ConvGeometry
        var transform = false
        var bias = false
    }

    static func geometry(_ cin: Int, _ cout: Int, _ h: Int, _ w: Int, kernel: Int, stride: Int = 1,
                         padding: ConvPadding) -> ConvGeometry {
        ConvGeometry(inChannels: cin, outChannels: cout, inputHeight: h, inputWidth: w, kernelHeight: kernel,
                     kernelWidth: kernel, strideY: stride, strideX: stride, padding: padding)
    }

    /// Odd shapes: 1x1 (plain GEMM, strided, padded), 7x7, 3x3 stride 2 with asymmetric padding, Keras
    /// `same`, outputs wider than a tile, channel counts past the 6- and 16-wide register tile; batches of
    /// 33 give chunks of several images and a shorter last one; tiny planes (down to 1x1, as in
    /// DenseNet-121's last block) put several images side by side in one padded row, the last row
    /// part empty. Stride 1 takes the flipped-kernel backward-data path, the rest the column-scatter one.
    static let cases: [Case] = [
        Case(batch: 1, g: geometry(3, 5, 7, 9, kernel: 1, padding: .valid), bias: true),
        Case(batch: 3, g: geometry(7, 13, 5, 6, kernel: 1, padding: .valid), transform: true),
        Case(batch: 3, g: geometry(2, 4, 11, 10, kernel: 7, padding: .symmetric(3))),
        Case(batch: 3, g: geometry(5, 7, 13, 12, kernel: 3, stride: 2,
                                   padding: .explicit(top: 0, bottom: 1, left: 2, right: 0)), bias: true),
        Case(batch: 1, g: geometry(4, 17, 20, 19, kernel: 3, padding: .same), transform: true, bias: true),
        Case(batch: 2, g: geometry(3, 6, 5, 6, kernel: 1, stride: 2, padding: .same)),
        Case(batch: 2, g: geometry(9, 12, 28, 28, kernel: 3, padding: .symmetric(1)), transform: true),
        Case(batch: 2, g: geometry(2, 3, 4, 5, kernel: 1, padding: .symmetric(1)), bias: true),
        Case(batch: 3, g: geometry(3, 7, 9, 8, kernel: 3, padding: .explicit(top: 2, bottom: 0, left: 0, right: 1)),
             transform: true, bias: true),
        Case(batch: 1, g: geometry(4, 5, 6, 9, kernel: 2, padding: .same)),
        Case(batch: 33, g: geometry(5, 8, 3, 5, kernel: 1, padding: .valid), transform: true, bias: true),
        Case(batch: 33, g: geometry(3, 7, 5, 4, kernel: 3, padding: .symmetric(1)), transform: true),
        Case(batch: 26, g: geometry(6, 5, 1, 1, kernel: 3, padding: .symmetric(1)), transform: true),
        Case(batch: 17, g: geometry(4, 7, 2, 2, kernel: 1, padding: .valid), bias: true),
    ]

    static func random(_ count: Int, seed: UInt64, scale: Float = 1, offset: Float = 0) -> [Float] {
        GEMMTests.randomValues(count, seed: seed).map { $0 * scale + offset }
    }

    func assertClose(_ actual: [Float], _ expected: [Double], _ what: String, tolerance: Double = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for i in actual.indices where abs(Double(actual[i]) - expected[i]) > tolerance * max(1, abs(expected[i])) {
            XCTFail("\(what)[\(i)] = \(actual[i]), expected \(expected[i])", file: file, line: line)
            return
        }
    }

    func testForwardAndBothBackwardsMatchNaiveLoops() {
        for (index, c) in Self.cases.enumerated() {
            let g = c.g, seed = UInt64(index) * 10, what = "case \(index) \(g)"
            let reference = ReferenceConvolution(g: g, batch: c.batch)
            let x = SlicedImages(batch: c.batch, channels: g.inChannels, height: g.inputHeight, width: g.inputWidth, offset: 1)
            x.set(Self.random(x.view.batch * g.inChannels * g.inputPlane, seed: seed))
            let w = Self.random(g.weightCount, seed: seed + 1, scale: 1 / Float(g.patchSize).squareRoot())
            let bias = c.bias ? Self.random(g.outChannels, seed: seed + 2) : nil
            let scale = Self.random(g.inChannels, seed: seed + 3, scale: 0.5, offset: 1)
            let shift = Self.random(g.inChannels, seed: seed + 4, scale: 0.5)
            let xHat = c.transform ? reference.transformed(x.dense, scale: scale, shift: shift) : x.dense

            scale.withUnsafeBufferPointer { scaleBuffer in
                shift.withUnsafeBufferPointer { shiftBuffer in
                    let transform = c.transform
                        ? ConvInputTransform(scale: scaleBuffer.baseAddress!, shift: shiftBuffer.baseAddress!) : nil
                    // Forward, into a slice of a larger buffer.
                    let y = SlicedImages(batch: c.batch, channels: g.outChannels, height: g.outputHeight,
                                         width: g.outputWidth, offset: 2)
                    var moments = [Double](repeating: .nan, count: 2 * g.outChannels)
                    convolutionForward(g, input: x.view, weights: w, bias: bias, inputTransform: transform, output: y.view,
                                       outputMoments: &moments)
                    let expectedY = reference.forward(x: xHat, w: w, bias: bias)
                    assertClose(y.dense, expectedY, "forward \(what)")
                    let perChannel = g.outputPlane
                    let expectedMoments = (0..<(2 * g.outChannels)).map { i in
                        expectedY.indices.filter { ($0 / perChannel) % g.outChannels == i % g.outChannels }
                            .reduce(0.0) { $0 + (i < g.outChannels ? expectedY[$1] : expectedY[$1] * expectedY[$1]) }
                    }
                    assertClose(moments.map { Float($0) }, expectedMoments, "output moments \(what)", tolerance: 1e-4)
                    XCTAssertTrue(y.untouchedOutsideView, "forward wrote outside its view, \(what)")

                    // Backward-data, accumulating onto existing values.
                    let dy = SlicedImages(batch: c.batch, channels: g.outChannels, height: g.outputHeight,
                                          width: g.outputWidth, offset: 1)
                    dy.set(Self.random(c.batch * g.outChannels * g.outputPlane, seed: seed + 5))
                    let dx = SlicedImages(batch: c.batch, channels: g.inChannels, height: g.inputHeight,
                                          width: g.inputWidth, offset: 0)
                    let before = Self.random(c.batch * g.inChannels * g.inputPlane, seed: seed + 6)
                    dx.set(before)
                    convolutionBackwardData(g, outputGradient: dy.view, weights: w, inputGradient: dx.view, accumulate: true)
                    let expectedDx = zip(reference.backwardData(dy: dy.dense, w: w), before).map { $0 + Double($1) }
                    assertClose(dx.dense, expectedDx, "backward-data \(what)")
                    XCTAssertTrue(dx.untouchedOutsideView, "backward-data wrote outside its view, \(what)")
                    convolutionBackwardData(g, outputGradient: dy.view, weights: w, inputGradient: dx.view)
                    assertClose(dx.dense, reference.backwardData(dy: dy.dense, w: w), "backward-data overwrite \(what)")

                    // Backward-weights adds into existing gradients.
                    var dw = [Float](repeating: 0.5, count: g.weightCount)
                    let db = Tensor(shape: [g.outChannels], values: [Float](repeating: -0.25, count: g.outChannels))
                    convolutionBackwardWeights(g, input: x.view, inputTransform: transform, outputGradient: dy.view,
                                               weightGradient: &dw, biasGradient: c.bias ? db.data : nil)
                    assertClose(dw, reference.backwardWeights(x: xHat, dy: dy.dense).map { $0 + 0.5 },
                                "backward-weights \(what)", tolerance: 2e-5)
                    if c.bias {
                        let sums = (0..<g.outChannels).map { co in
                            (0..<c.batch).reduce(-0.25) { acc, n in
                                acc + (0..<g.outputPlane).reduce(0.0) { $0 + Double(dy.view.channel(n, co)[$1]) }
                            }
                        }
                        assertClose(db.array, sums, "bias gradient \(what)", tolerance: 2e-5)
                    }
                }
            }
        }
    }

    /// For L = Σ y·r, dL/dW and dL/dx̂ from the backward kernels match central differences of the
    /// forward kernel (eps 1e-3, float32 forward, float64 loss).
    func testBackwardMatchesFiniteDifferences() {
        let g = Self.geometry(3, 5, 7, 6, kernel: 3, stride: 2, padding: .explicit(top: 1, bottom: 0, left: 0, right: 1))
        let batch = 3
        let x = Tensor(shape: [batch, 3, 7, 6], values: Self.random(batch * 3 * 42, seed: 90))
        let w = Tensor(shape: [5, 3, 3, 3], values: Self.random(g.weightCount, seed: 91))
        let r = Self.random(batch * 5 * g.outputPlane, seed: 92)
        let y = Tensor(zeros: [batch, 5, g.outputHeight, g.outputWidth])
        func loss() -> Double {
            convolutionForward(g, input: x.images(), weights: w.data, bias: nil, output: y.images())
            return zip(y.array, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let dy = Tensor(shape: y.shape, values: r)
        let dx = Tensor(zeros: x.shape), dw = Tensor(zeros: w.shape)
        convolutionBackwardData(g, outputGradient: dy.images(), weights: w.data, inputGradient: dx.images())
        convolutionBackwardWeights(g, input: x.images(), outputGradient: dy.images(), weightGradient: dw.data,
                                   biasGradient: nil)
        let eps: Float = 1e-3
        for (tensor, gradient, name) in [(x, dx, "x"), (w, dw, "w")] {
            for i in stride(from: 0, to: tensor.count, by: 7) {
                let saved = tensor.data[i]
                tensor.data[i] = saved + eps
                let up = loss()
                tensor.data[i] = saved - eps
                let down = loss()
                tensor.data[i] = saved
                let numeric = (up - down) / Double(2 * eps)
                XCTAssertEqual(Double(gradient.data[i]), numeric, accuracy: 1e-3 * max(1, abs(numeric)),
                               "d loss / d \(name)[\(i)]")
            }
        }
    }

    /// A DenseNet layer's pattern: BN-ReLU fused, reading the block buffer's first channels and writing
    /// its new channels into the same buffer, with no copy.
    func testDenseBlockLayerReadsThePrefixAndWritesItsSliceOfTheSameBuffer() {
        let g = Self.geometry(5, 3, 6, 7, kernel: 3, padding: .symmetric(1))
        let block = Tensor(shape: [2, 8, 6, 7], values: Self.random(2 * 8 * 42, seed: 70))
        let prefix = block.images(channels: 0..<5), before = denseArray(prefix)
        let w = Self.random(g.weightCount, seed: 71), scale = Self.random(5, seed: 72), shift = Self.random(5, seed: 73)
        let reference = ReferenceConvolution(g: g, batch: 2)
        let expected = reference.forward(x: reference.transformed(before, scale: scale, shift: shift), w: w, bias: nil)
        scale.withUnsafeBufferPointer { scale in
            shift.withUnsafeBufferPointer { shift in
                convolutionForward(g, input: prefix, weights: w, bias: nil,
                                   inputTransform: ConvInputTransform(scale: scale.baseAddress!, shift: shift.baseAddress!),
                                   output: block.images(channels: 5..<8))
            }
        }
        assertClose(denseArray(block.images(channels: 5..<8)), expected, "new channels")
        XCTAssertEqual(denseArray(prefix), before, "the prefix must be left as it was")
    }

    /// Tiny planes share few dW partials; large ones spread over 8; one image is one group.
    func testWeightGradientGroupsFollowTheShapeOnly() {
        XCTAssertEqual(backwardWeightGroups(batch: 32, plane: 1), 2)
        XCTAssertEqual(backwardWeightGroups(batch: 32, plane: 4 * 4), 2)
        XCTAssertEqual(backwardWeightGroups(batch: 32, plane: 8 * 8), 8)
        XCTAssertEqual(backwardWeightGroups(batch: 5, plane: 56 * 56), 5)
        XCTAssertEqual(backwardWeightGroups(batch: 1, plane: 1), 1)
    }

    func testGeometryResolvesKerasSameAndPyTorchPadding() {
        let same = Self.geometry(1, 1, 7, 8, kernel: 3, stride: 2, padding: .same)
        XCTAssertEqual([same.outputHeight, same.outputWidth], [4, 4])
        XCTAssertEqual([same.padTop, same.padBottom, same.padLeft, same.padRight], [1, 1, 0, 1])
        let torch = Self.geometry(1, 1, 224, 224, kernel: 7, stride: 2, padding: .symmetric(3))
        XCTAssertEqual([torch.outputHeight, torch.outputWidth], [112, 112])
    }

    func testConv2DLayerGivesWeightAndBiasGradients() {
        let conv = Conv2D(name: "c", inChannels: 2, outChannels: 3, kernelSize: 3, padding: .same, bias: true,
                          random: CounterRandom(seed: 5))
        let x = Tensor(shape: [2, 2, 4, 5], values: Self.random(80, seed: 6))
        let y = conv.forward(x, context: ForwardContext(training: true))
        XCTAssertEqual(y.shape, [2, 3, 4, 5])
        let dx = conv.backward(Tensor(shape: y.shape, values: [Float](repeating: 1, count: y.count)))
        XCTAssertEqual(dx.shape, x.shape)
        XCTAssertEqual(conv.bias!.grad.array, [40, 40, 40])
        XCTAssertEqual(conv.parameters.map(\.name), ["c.weight", "c.bias"])
        let limit = (6 / Float(2 * 9 + 3 * 9)).squareRoot()
        XCTAssertTrue(conv.weight.value.array.allSatisfy { abs($0) <= limit })
    }
}
