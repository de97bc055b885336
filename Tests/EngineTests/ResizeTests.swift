// Bilinear resize with half-pixel centres, against values derived by hand.
import XCTest
@testable import Engine

final class ResizeTests: XCTestCase {
    private func resize(_ x: Tensor, _ height: Int, _ width: Int) -> [Float] {
        Resize(name: "resize", height: height, width: width).forward(x, context: .inference).array
    }

    /// 2 → 4 samples: source = (o + ½)/2 − ½ = −¼, ¼, ¾, 1¼, so the weights on the second pixel are
    /// 0 (clamped), ¼, ¾, 1 (clamped). Same as PyTorch `interpolate(align_corners=False)`.
    func testUpsampleTwoByTwoToFourByFour() {
        let y = resize(Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]), 4, 4)
        XCTAssertEqual(y, [1, 1.25, 1.75, 2,
                           1.5, 1.75, 2.25, 2.5,
                           2.5, 2.75, 3.25, 3.5,
                           3, 3.25, 3.75, 4])
    }

    /// 4 → 3 samples: source = (o + ½)·4/3 − ½ = 1/6, 3/2, 17/6. On x[i][j] = 4i + j, which bilinear
    /// interpolation reproduces exactly, the output is 4·row + column at those sources.
    func testDownsampleFourByFourToThreeByThree() {
        let y = resize(Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init)), 3, 3)
        let sources: [Float] = [1 / 6, 1.5, 17 / 6]
        for (i, r) in sources.enumerated() {
            for (j, c) in sources.enumerated() { XCTAssertEqual(y[i * 3 + j], 4 * r + c, accuracy: 1e-5) }
        }
    }

    /// A curved image, non-square, up in one axis and down in the other: 3x5 → 7x4, x = row² + column².
    /// Output (2, 1) samples row source (2½)·3/7 − ½ = 4/7 and column source (1½)·5/4 − ½ = 11/8.
    func testMixedScalesInterpolateBetweenTheFourNeighbours() {
        let values = (0..<15).map { (i: Int) -> Float in
            let row = i / 5, column = i % 5
            return Float(row * row + column * column)
        }
        let x = Tensor(shape: [1, 1, 3, 5], values: values)
        let y = resize(x, 7, 4)
        let r: Float = 4 / 7, c: Float = 11 / 8
        // Rows 0 and 1, columns 1 and 2: x = 1, 4 on row 0 and 2, 5 on row 1.
        let top: Float = 1 + 3 * (c - 1)
        let bottom: Float = 2 + 3 * (c - 1)
        let expected: Float = top + (bottom - top) * r
        XCTAssertEqual(y[2 * 4 + 1], expected, accuracy: 1e-5)
        // The last output row lies past the last pixel centre (source 16/7 > 2): it reads row 2 alone.
        // Its last column samples column source 31/8 between x = 4 + 9 and 4 + 16.
        XCTAssertEqual(y[6 * 4 + 3], 13 + 7 * 0.875, accuracy: 1e-5)
    }

    func testSameSizeIsTheIdentityAndBatchesAreIndependent() {
        let x = randomTensor([2, 3, 5, 6], seed: 60)
        XCTAssertEqual(resize(x, 5, 6), x.array)
        let layer = Resize(name: "resize", height: 155, width: 155)
        XCTAssertEqual(layer.outputShape(for: [8, 3, 32, 32]), [8, 3, 155, 155])
    }
}
