import XCTest
@testable import Engine

final class TensorTests: XCTestCase {
    func testReshapedViewSharesStorage() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let v = t.reshaped([3, 2])
        v.data[5] = 60
        XCTAssertEqual(t.array, [1, 2, 3, 4, 5, 60])
        XCTAssertEqual(Int(bitPattern: t.data) % 64, 0)
    }

    func testChannelSliceView() {
        let t = Tensor(zeros: [2, 4, 1, 2])
        let slice = t.images(channels: 1..<3)
        slice.channel(1, 1)[1] = 7  // image 1, channel 2, pixel 1
        XCTAssertEqual(t.data[1 * 8 + 2 * 2 + 1], 7)
        XCTAssertEqual(slice.imageStride, 8)
    }
}
