// End to end: a small MLP built from the layers learns a synthetic separable task.
import XCTest
@testable import Engine

final class MLPTrainingTests: XCTestCase {
    /// 3 classes in 8 dimensions, labelled by the largest of three fixed linear scores.
    private func dataset(_ count: Int, seed: UInt64) -> (Tensor, [Int]) {
        let x = randomTensor([count, 8], seed: seed), teacher = randomTensor([3, 8], seed: 1)
        let labels = (0..<count).map { n -> Int in
            let scores = (0..<3).map { k in (0..<8).reduce(Float(0)) { $0 + teacher.data[k * 8 + $1] * x.data[n * 8 + $1] } }
            return scores.indices.max { scores[$0] < scores[$1] }!
        }
        return (x, labels)
    }

    func testTinyMLPLearnsASeparableTask() {
        let random = CounterRandom(seed: 7)
        let mlp = Sequential(name: "mlp", [
            Dense(name: "fc1", inputs: 8, outputs: 32, initializer: .heNormalTruncated, random: random.stream(1)),
            ReLU(name: "relu"),
            Dropout(name: "drop", rate: 0.1, random: random.stream(2)),
            Dense(name: "fc2", inputs: 32, outputs: 3, random: random.stream(3)),
        ])
        let (train, trainLabels) = dataset(512, seed: 2), (test, testLabels) = dataset(256, seed: 3)
        let adam = Optimizer.adam(parameters: mlp.parameters, learningRate: 1e-2)
        let batch = 64, trainValues = train.array
        var step: UInt64 = 0
        for _ in 0..<30 {
            for b in stride(from: 0, to: 512, by: batch) {
                let x = Tensor(shape: [batch, 8], values: Array(trainValues[(b * 8)..<((b + batch) * 8)]))
                adam.zeroGradients()
                let loss = softmaxCrossEntropy(logits: mlp.forward(x, context: ForwardContext(training: true, step: step)),
                                               labels: Array(trainLabels[b..<(b + batch)]))
                _ = mlp.backward(loss.dlogits)
                adam.step()
                step += 1
            }
        }
        let logits = mlp.forward(test, context: .inference).array
        let correct = (0..<256).filter { n in
            let row = Array(logits[(n * 3)..<(n * 3 + 3)])
            return row.indices.max { row[$0] < row[$1] }! == testLabels[n]
        }.count
        XCTAssertGreaterThan(Double(correct) / 256, 0.9, "test accuracy \(correct) / 256")
    }
}
