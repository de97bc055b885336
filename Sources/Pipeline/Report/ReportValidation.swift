// Checks that a report's values can be rendered faithfully, and the figures derived across variants.

extension ComparisonReport {
    /// Throws the first value that would make the report wrong or unreadable.
    func validate() throws {
        guard let first = variants.first else { throw ReportError.noVariants }
        var seen: Set<String> = []
        for variant in variants {
            guard seen.insert(variant.name).inserted else { throw ReportError.duplicateVariant(variant.name) }
            try variant.validate()
            guard variant.confusion.classNames == first.confusion.classNames else {
                throw ReportError.classesDiffer(variant: variant.name, classes: variant.confusion.classNames,
                                                expected: first.confusion.classNames)
            }
        }
    }

    /// How many times faster than the slowest variant `variant` trained; nil when it took no time.
    func speedUp(of variant: VariantResult) -> Double? {
        let slowest = variants.map(\.trainingSeconds).max() ?? 0
        return variant.trainingSeconds > 0 ? slowest / variant.trainingSeconds : nil
    }
}

extension VariantResult {
    fileprivate func validate() throws {
        let numbers: [(String, Double)] = [
            ("testAccuracy", testAccuracy), ("testLoss", testLoss), ("trainingSeconds", trainingSeconds),
            ("inferenceImagesPerSecond", inferenceImagesPerSecond),
        ] + curves.flatMap { record in [
            ("epoch \(record.epoch) trainAccuracy", record.trainAccuracy),
            ("epoch \(record.epoch) trainLoss", record.trainLoss),
            ("epoch \(record.epoch) validationAccuracy", record.validationAccuracy),
            ("epoch \(record.epoch) validationLoss", record.validationLoss),
            ("epoch \(record.epoch) learningRate", record.learningRate),
        ] }
        for (field, value) in numbers where !value.isFinite {
            throw ReportError.notFinite(variant: name, field: field, value: value)
        }
        let bestInRange = epochsRun == 0 ? bestEpoch == 0 : (1...epochsRun).contains(bestEpoch)
        guard bestInRange else {
            throw ReportError.bestEpochOutOfRange(variant: name, bestEpoch: bestEpoch, epochsRun: epochsRun)
        }
        let classes = confusion.classNames.count
        guard confusion.counts.count == classes, confusion.counts.allSatisfy({ $0.count == classes }) else {
            throw ReportError.confusionShape(variant: name, classes: classes, rows: confusion.counts.map(\.count))
        }
    }
}
