// Optimizers: single steps against hand-computed values, minimising a quadratic, state round trips.
import XCTest
@testable import Engine

final class OptimizerTests: XCTestCase {
    private func scalar(_ value: Float, gradient: Float, name: String = "w") -> Parameter {
        let p = Parameter(name: name, value: Tensor(shape: [1], values: [value]))
        p.grad.data[0] = gradient
        return p
    }

    func testSGDMomentumAndWeightDecay() {
        let w = scalar(1, gradient: 0.5)
        let sgd = Optimizer.sgd(parameters: [w], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        sgd.step()  // v = 0.5 + 0.01·1 = 0.51; w = 1 − 0.1·0.51
        XCTAssertEqual(w.value.data[0], 0.949, accuracy: 1e-6)
        sgd.step()  // v = 0.9·0.51 + 0.5 + 0.01·0.949 = 0.96849; w = 0.949 − 0.096849
        XCTAssertEqual(w.value.data[0], 0.852151, accuracy: 1e-6)
    }

    func testAdamStepsWithBiasCorrection() {
        // Keras defaults. Step 1: m = 0.05, v = 0.00025, lr_t = 1e-3·√0.001/0.1, w −= lr_t·m/(√v + 1e-7).
        let w = scalar(1, gradient: 0.5)
        let adam = Optimizer.adam(parameters: [w])
        adam.step()
        XCTAssertEqual(w.value.data[0], 0.99900001, accuracy: 1e-7)
        adam.step()
        XCTAssertEqual(w.value.data[0], 0.99800001, accuracy: 1e-7)
        XCTAssertEqual(adam.stepCount, 2)
    }

    func testAdamAddsEpsilonBeforeBiasCorrectionAsKerasDoes() {
        // g = 1e-6: Keras moves w by lr_t·1e-7/(3.16e-8 + 1e-7) = 2.4025e-4;
        // PyTorch's placement, lr·m̂/(√v̂ + ε), would move it by 9.09e-4.
        let w = scalar(1, gradient: 1e-6)
        Optimizer.adam(parameters: [w]).step()
        XCTAssertEqual(1 - w.value.data[0], 2.4025e-4, accuracy: 2e-7)
    }

    func testAdamWDecaysBeforeTheAdamStep() {
        let w = scalar(1, gradient: 0.5)
        Optimizer.adam(parameters: [w], weightDecay: 0.1).step()  // w = 1 − 1e-3·0.1·1, then − 0.001
        XCTAssertEqual(w.value.data[0], 0.99890001, accuracy: 1e-7)
    }

    func testFrozenParametersAreSkippedAndCarryNoState() {
        let frozen = scalar(1, gradient: 0.5, name: "frozen"), live = scalar(1, gradient: 0.5, name: "live")
        frozen.trainable = false
        let adam = Optimizer.adam(parameters: [frozen, live])
        adam.step()
        XCTAssertEqual(frozen.value.data[0], 1)
        XCTAssertEqual(Set(adam.state().keys),
                       ["optimizer.step", "optimizer.learning_rate", "optimizer.live.m", "optimizer.live.v"])
    }

    func testSGDAndAdamMinimiseAQuadratic() {
        // f(w) = Σ aᵢ(wᵢ − cᵢ)², curvatures 0.5 to 4.
        let a: [Float] = [0.5, 1, 2, 4, 1.5], c: [Float] = [3, -1, 0.5, 2, -2]
        for optimizer in [Optimizer.sgd(parameters: [Parameter(name: "w", value: Tensor(zeros: [5]))], learningRate: 0.05),
                          Optimizer.adam(parameters: [Parameter(name: "w", value: Tensor(zeros: [5]))], learningRate: 0.05)] {
            let w = optimizer.parameters[0]
            for _ in 0..<600 {
                optimizer.zeroGradients()
                for i in 0..<5 { w.grad.data[i] = 2 * a[i] * (w.value.data[i] - c[i]) }
                optimizer.step()
            }
            for i in 0..<5 { XCTAssertEqual(w.value.data[i], c[i], accuracy: 1e-2, "\(optimizer.rule) w[\(i)]") }
        }
    }

    func testRestoredStateContinuesBitIdentically() throws {
        func parameters() -> [Parameter] {
            [Parameter(name: "fc.weight", value: randomTensor([7, 3], seed: 80)),
             Parameter(name: "fc.bias", value: randomTensor([5], seed: 81))]
        }
        func train(_ optimizer: Optimizer, steps: Range<Int>) {
            for s in steps {
                for (k, p) in optimizer.parameters.enumerated() {
                    p.grad.copy(from: randomTensor(p.value.shape, seed: UInt64(100 * s + k)))
                }
                optimizer.step()
            }
        }
        for make in [{ Optimizer.adam(parameters: $0, weightDecay: 0.01) }, { Optimizer.sgd(parameters: $0, learningRate: 0.1) }] {
            let straight = make(parameters()), resumed = make(parameters())
            train(straight, steps: 0..<5)
            train(resumed, steps: 0..<3)
            resumed.learningRate = 0.5
            let saved = resumed.state(), weights = resumed.parameters.map { $0.value.clone() }
            // A fresh optimizer over the saved weights, as a resumed run would build it.
            let fresh = make(parameters())
            for (p, w) in zip(fresh.parameters, weights) { p.value.copy(from: w) }
            try fresh.restore(saved)
            XCTAssertEqual(fresh.learningRate, 0.5)
            fresh.learningRate = straight.learningRate
            train(fresh, steps: 3..<5)
            for (p, q) in zip(straight.parameters, fresh.parameters) { XCTAssertEqual(p.value.array, q.value.array) }
        }
    }

    func testRestoreRejectsForeignState() {
        let adam = Optimizer.adam(parameters: [Parameter(name: "w", value: Tensor(zeros: [2]))])
        let base = ["optimizer.step": Tensor(shape: [1], values: [1]), "optimizer.learning_rate": Tensor(shape: [1], values: [1e-3])]
        XCTAssertThrowsError(try adam.restore(base.merging(["optimizer.u.m": Tensor(zeros: [2])]) { $1 })) {
            XCTAssertEqual("\($0)", "optimizer state tensor 'optimizer.u.m' names no parameter of this optimizer")
        }
        XCTAssertThrowsError(try adam.restore(base.merging(["optimizer.w.m": Tensor(zeros: [3]), "optimizer.w.v": Tensor(zeros: [2])]) { $1 })) {
            XCTAssertEqual("\($0)", "optimizer state tensor 'optimizer.w.m' has shape [3], expected [2]")
        }
        XCTAssertThrowsError(try adam.restore(base.merging(["optimizer.m": Tensor(zeros: [2])]) { $1 })) {
            XCTAssertEqual("\($0)", "optimizer state tensor 'optimizer.m' names no parameter of this optimizer")
        }
        XCTAssertThrowsError(try adam.restore(["optimizer.step": Tensor(shape: [1], values: [1])])) {
            XCTAssertEqual("\($0)", "optimizer state lacks tensor 'optimizer.learning_rate'")
        }
        XCTAssertThrowsError(try adam.restore(base.merging(["optimizer.w.m": Tensor(zeros: [2])]) { $1 })) {
            XCTAssertEqual("\($0)", "optimizer state lacks tensor 'optimizer.w.v'")
        }
    }
}
