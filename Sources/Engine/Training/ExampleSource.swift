// Where training, evaluation and feature extraction get their examples: anything that can write the
// examples of a list of indices into a batch tensor, from memory or from disk. The trainer decides
// which indices form a batch (a seeded permutation over the whole set); a source only fetches them,
// so the batches are the same whatever the source keeps in memory.

/// Labelled examples of one shape, fetched a batch at a time by index.
///
/// `gather` may be called on a prefetch thread while the network computes on another, one call at a
/// time; it must not use the engine's worker pool (the compute thread owns it).
public protocol ExampleSource {
    /// The number of examples; valid indices are `0..<count`.
    var count: Int { get }
    /// The shape of one example, [C, H, W].
    var exampleShape: [Int] { get }
    /// Writes examples `indices`, in that order, as float32 into images `0..<indices.count` of `batch`
    /// ([B, C, H, W] with B ≥ indices.count) and returns their labels.
    func gather(_ indices: [Int], into batch: Tensor) throws -> [Int]
}

extension ExampleSource {
    /// Examples `indices` in a new [indices.count, C, H, W] tensor, with their labels.
    public func batch(_ indices: [Int]) throws -> (inputs: Tensor, labels: [Int]) {
        let inputs = Tensor(zeros: [indices.count] + exampleShape)
        let labels = try gather(indices, into: inputs)
        return (inputs, labels)
    }
}

extension LabeledExamples: ExampleSource {
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    public func gather(_ indices: [Int], into batch: Tensor) throws -> [Int] {
        let size = exampleShape.reduce(1, *)
        for (b, example) in indices.enumerated() {
            precondition(example >= 0 && example < count, "gather: example \(example) of \(count)")
            (batch.data + b * size).update(from: inputs.data + example * size, count: size)
        }
        return indices.map { labels[$0] }
    }
}
