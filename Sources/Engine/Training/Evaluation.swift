// Evaluating a classifier on labelled examples: accuracy, mean loss, confusion matrix, per-class
// precision and recall, and inference speed.
import Dispatch

/// Examples with integer class labels: images [N, C, H, W] or cached features of that shape.
public struct LabeledExamples {
    public let inputs: Tensor
    public let labels: [Int]

    public init(inputs: Tensor, labels: [Int]) {
        precondition(inputs.shape.count == 4 && inputs.shape[0] == labels.count,
                     "LabeledExamples: inputs \(inputs.shape) must be [N, C, H, W] with N = \(labels.count) labels")
        self.inputs = inputs
        self.labels = labels
    }

    public var count: Int { labels.count }
}

/// How a classifier did on a data set.
public struct Evaluation: Equatable, Codable, Sendable {
    public let count: Int
    public let accuracy: Double
    /// Mean softmax cross-entropy per example.
    public let meanLoss: Double
    /// `confusion[true][predicted]` counts.
    public let confusion: [[Int]]
    /// Per class: correct / predicted as that class (0 when never predicted).
    public let precision: [Double]
    /// Per class: correct / examples of that class (0 when absent).
    public let recall: [Double]
    /// Inference throughput over the whole evaluation, wall clock.
    public let imagesPerSecond: Double
}

/// Runs `network` in inference mode over `data`, `batchSize` examples at a time.
public func evaluate(_ network: TrainableNetwork, on data: LabeledExamples, batchSize: Int = 64,
                     clock: () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) -> Evaluation {
    // Memory cannot fail to be read.
    try! evaluate(network, on: data as ExampleSource, batchSize: batchSize, prefetchDepth: 0, clock: clock)
}

/// Runs `network` in inference mode over `data`, `batchSize` examples at a time, in order, fetching
/// up to `prefetchDepth` batches ahead on a background thread. Rethrows a failure to read `data`.
public func evaluate(_ network: TrainableNetwork, on data: ExampleSource, batchSize: Int = 64,
                     prefetchDepth: Int = BatchPrefetcher.defaultDepth,
                     clock: () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) throws -> Evaluation {
    let start = clock()
    var confusion: [[Int]] = []
    var lossSum = 0.0
    let feed = BatchPrefetcher(source: data, batches: epochBatches(count: data.count, batchSize: batchSize, epoch: 0, shuffle: nil),
                               depth: prefetchDepth)
    while let (inputs, labels) = try feed.nextBatch() {
        let logits = network.forward(inputs, context: .inference)
        let classes = logits.shape[1]
        if confusion.isEmpty { confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes) }
        lossSum += Double(softmaxCrossEntropy(logits: logits, labels: labels).loss) * Double(labels.count)
        for (n, predicted) in predictedClasses(logits).enumerated() { confusion[labels[n]][predicted] += 1 }
    }
    let seconds = max(clock() - start, 1e-9)
    let classes = confusion.count
    let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
    func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
    return Evaluation(
        count: data.count, accuracy: ratio(correct, data.count), meanLoss: lossSum / Double(max(data.count, 1)),
        confusion: confusion,
        precision: (0..<classes).map { c in ratio(confusion[c][c], confusion.reduce(0) { $0 + $1[c] }) },
        recall: (0..<classes).map { c in ratio(confusion[c][c], confusion[c].reduce(0, +)) },
        imagesPerSecond: Double(data.count) / seconds)
}

/// Index of each row's largest logit (the first on ties).
func predictedClasses(_ logits: Tensor) -> [Int] {
    let classes = logits.shape[1]
    return (0..<logits.shape[0]).map { n in
        let row = logits.data + n * classes
        var best = 0
        for j in 1..<classes where row[j] > row[best] { best = j }
        return best
    }
}
