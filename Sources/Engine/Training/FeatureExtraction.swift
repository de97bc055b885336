// A frozen backbone's features for a whole data set, batch after batch, handed on as they come, so
// neither the images nor the features need to be in memory at once.

extension Model {
    /// Runs the backbone in inference mode over every example of `source`, in order, `batchSize` at a
    /// time (batches fetched up to `prefetchDepth` ahead), and passes each batch's features
    /// ([B] + `architecture.backboneOutputShape`) with the index of its first example and its labels
    /// to `sink`. The same batches as `features(for:batchSize:)`, so the same values.
    public func features(of source: ExampleSource, batchSize: Int, prefetchDepth: Int = BatchPrefetcher.defaultDepth,
                         _ sink: (_ first: Int, _ features: Tensor, _ labels: [Int]) throws -> Void) throws {
        let batches = epochBatches(count: source.count, batchSize: batchSize, epoch: 0, shuffle: nil)
        let feed = BatchPrefetcher(source: source, batches: batches, depth: prefetchDepth)
        var first = 0
        while let (inputs, labels) = try feed.nextBatch() {
            try sink(first, features(for: inputs, batchSize: batchSize), labels)
            first += labels.count
        }
    }
}
