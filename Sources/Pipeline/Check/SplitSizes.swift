// The sizes of a prepared task's splits, worked out from parameters before anything runs, the way
// preprocess will cut them: at most `per_class` images per class, a rounded share of each class
// held out for validation. Known for the built-in data sets; nil where only the data can tell.

/// Images per split of one task of a preprocess stage; each nil when it cannot be known in advance.
struct SplitSizes: Equatable {
    var train: Int?
    var validation: Int?
    var test: Int?

    /// Training and test images per class of the built-in data sets, and their class count.
    private static let builtIn: [DownloadStage.Source: (train: Int, test: Int, classes: Int)] = [
        .fashionMNIST: (6000, 1000, 10), .cifar10: (5000, 1000, 10),
    ]

    /// The target task's (`source: false`) or source task's splits of `preprocess`, fed by `download`.
    init(preprocess: PlannedStage, download: PlannedStage?, source: Bool) {
        let p = preprocess.parameters.decoded(as: PreprocessStage.Parameters.self)
        let known = download.flatMap { Self.builtIn[$0.parameters.decoded(as: DownloadStage.Parameters.self).source] }
        let listed = source ? p.sourceClasses : p.targetClasses
        let classes: Int? = listed.isEmpty ? known?.classes : listed.count
        let limit = source ? p.sourcePerClass : p.perClass
        let perClass: Int? = limit > 0 ? min(limit, known?.train ?? limit) : known?.train
        let fraction = p.validationFraction
        let held = perClass.map { Int((Double($0) * fraction).rounded()) }
        let testLimit = p.testPerClass
        let testPerClass: Int? = testLimit > 0 ? min(testLimit, known?.test ?? testLimit) : known?.test
        guard let classes else { return }
        train = perClass.flatMap { n in held.map { classes * (n - $0) } }
        validation = held.map { classes * $0 }
        test = testPerClass.map { classes * $0 }
    }
}
