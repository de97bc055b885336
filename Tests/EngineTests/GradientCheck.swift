// Test support: central finite differences against a layer's backward, and seeded test tensors.
import XCTest
@testable import Engine

/// A tensor of `shape` with values uniform in [-1, 1) from `seed`.
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    let random = CounterRandom(seed: seed)
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = 2 * random.uniform(at: UInt64(i)) - 1 }
    return t
}

/// A tensor whose values are distinct and at least `gap` apart (a shuffled ramp centred on 0), so max
/// pooling has no ties and no finite-difference step can change which input wins.
func distinctTensor(_ shape: [Int], seed: UInt64, gap: Float = 0.01) -> Tensor {
    let t = Tensor(zeros: shape)
    let order = CounterRandom(seed: seed).permutation(t.count)
    for i in 0..<t.count { t.data[i] = (Float(order[i]) - Float(t.count) / 2) * gap }
    return t
}

/// Checks `layer.backward` against central differences of L = Σ y·r, r a fixed random tensor, for
/// the input and every trainable parameter. Error bound per element: |analytic − numeric| ≤
/// tolerance·max(1, |numeric|).
func assertGradientsMatch(_ layer: Layer, input x: Tensor, context: ForwardContext = ForwardContext(training: true),
                          epsilon: Float = 1e-3, tolerance: Float = 2e-3,
                          file: StaticString = #filePath, line: UInt = #line) {
    let r = randomTensor(layer.outputShape(for: x.shape), seed: 99)
    func loss() -> Double {
        let y = layer.forward(x, context: context)
        var sum = 0.0
        for i in 0..<y.count { sum += Double(y.data[i]) * Double(r.data[i]) }
        return sum
    }
    let trainable = layer.parameters.filter(\.trainable)
    for p in trainable { p.grad.fill(0) }
    _ = layer.forward(x, context: context)
    let dx = layer.backward(r)
    var checked: [(String, Tensor, Tensor)] = [("input", x, dx)]
    for p in trainable { checked.append((p.name, p.value, p.grad.clone())) }
    for (name, value, analytic) in checked {
        var worst: Float = 0, worstIndex = 0
        for i in 0..<value.count {
            let saved = value.data[i]
            value.data[i] = saved + epsilon
            let plus = loss()
            value.data[i] = saved - epsilon
            let minus = loss()
            value.data[i] = saved
            let numeric = Float((plus - minus) / (2 * Double(epsilon)))
            let error = abs(analytic.data[i] - numeric) / max(1, abs(numeric))
            if error > worst { worst = error; worstIndex = i }
        }
        XCTAssertLessThanOrEqual(worst, tolerance,
                                 "\(layer.name): gradient of \(name) off at element \(worstIndex)", file: file, line: line)
    }
}
