// Checks that a report's values can be rendered faithfully.

extension ComparisonReport {
    /// Throws the first value that would make the report wrong or unreadable.
    package func validate() throws {
        guard let firstVariant = variants.first else { throw ReportError.noVariants }
        guard let first = firstVariant.runs.first else { throw ReportError.noRuns(variant: firstVariant.name) }
        var seen: Set<String> = []
        for variant in variants {
            guard seen.insert(variant.name).inserted else { throw ReportError.duplicateVariant(variant.name) }
            guard !variant.runs.isEmpty else { throw ReportError.noRuns(variant: variant.name) }
            var seeds: Set<[Int?]> = []
            for run in variant.runs {
                guard seeds.insert([run.backbone, run.seed]).inserted else {
                    throw ReportError.duplicateSeed(variant: variant.name, seed: run.seed, backbone: run.backbone)
                }
                try run.validate(variant: variant.name)
                guard run.confusion.classNames == first.confusion.classNames else {
                    throw ReportError.classesDiffer(variant: variant.name, classes: run.confusion.classNames,
                                                    expected: first.confusion.classNames)
                }
            }
        }
    }
}

extension SeedResult {
    fileprivate func validate(variant: String) throws {
        let numbers: [(String, Double)] = [
            ("testAccuracy", testAccuracy), ("testLoss", testLoss), ("lastEpochTestAccuracy", lastEpochTestAccuracy),
            ("lastEpochTestLoss", lastEpochTestLoss), ("trainingSeconds", trainingSeconds),
            ("inferenceImagesPerSecond", inferenceImagesPerSecond),
        ] + curves.flatMap { record in [
            ("epoch \(record.epoch) trainAccuracy", record.trainAccuracy),
            ("epoch \(record.epoch) trainLoss", record.trainLoss),
            ("epoch \(record.epoch) validationAccuracy", record.validationAccuracy),
            ("epoch \(record.epoch) validationLoss", record.validationLoss),
            ("epoch \(record.epoch) learningRate", record.learningRate),
        ] }
        for (field, value) in numbers where !value.isFinite {
            throw ReportError.notFinite(variant: variant, seed: seed, field: field, value: value)
        }
        let selectedInRange = epochsRun == 0 ? selectedEpoch == 0 : (1...epochsRun).contains(selectedEpoch)
        guard selectedInRange else {
            throw ReportError.selectedEpochOutOfRange(variant: variant, seed: seed, selectedEpoch: selectedEpoch,
                                                      epochsRun: epochsRun)
        }
        let classes = confusion.classNames.count
        guard confusion.counts.count == classes, confusion.counts.allSatisfy({ $0.count == classes }) else {
            throw ReportError.confusionShape(variant: variant, classes: classes, rows: confusion.counts.map(\.count))
        }
    }
}
