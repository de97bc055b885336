// Which images the preprocessing steps keep, decided from the labels alone: a class subset with
// relabelling, a seeded per-class limit, a seeded stratified split. Preprocess cuts every data set this
// way, so one too large for memory is cut up before a single pixel is read.
import Engine

/// Positions in a labelled set, chosen by label.
package enum LabelSelection {
    /// The positions of the images of `classes`, in order, with each image's new label (its class's
    /// position in `classes`): `[5, 6, 7, 8, 9]` maps label 5 to 0, …, 9 to 4.
    package static func selecting(classes: [Int], of labels: [Int32], classCount: Int) throws -> (positions: [Int], labels: [Int32]) {
        guard !classes.isEmpty, Set(classes).count == classes.count else {
            throw DatasetError.invalidParameter("class subset \(classes) must be non-empty without repeats")
        }
        if let bad = classes.first(where: { !(0..<classCount).contains($0) }) {
            throw DatasetError.invalidParameter("class \(bad) does not exist; valid classes are 0...\(classCount - 1)")
        }
        var newLabel = [Int32](repeating: -1, count: classCount)
        for (position, cls) in classes.enumerated() { newLabel[cls] = Int32(position) }
        let positions = labels.indices.filter { newLabel[Int(labels[$0])] >= 0 }
        return (positions, positions.map { newLabel[Int(labels[$0])] })
    }

    /// The positions of at most `perClass` images of each class: the first ones in an order shuffled
    /// by `seed` (a random sample, the same for the same seed), returned in data set order.
    package static func limiting(_ labels: [Int32], classCount: Int, perClass: Int, seed: UInt64) throws -> [Int] {
        guard perClass > 0 else {
            throw DatasetError.invalidParameter("per-class limit \(perClass) must be at least 1")
        }
        var taken = [Int](repeating: 0, count: classCount)
        var kept: [Int] = []
        for i in CounterRandom(seed: seed).permutation(labels.count) {
            let label = Int(labels[i])
            if taken[label] < perClass {
                taken[label] += 1
                kept.append(i)
            }
        }
        return kept.sorted()
    }

    /// A seeded split with each class divided in the same proportion: `fraction` of every class
    /// (rounded) goes to the second part. Both parts keep data set order.
    package static func splitting(_ labels: [Int32], classCount: Int, fraction: Double,
                          seed: UInt64) throws -> (kept: [Int], heldOut: [Int]) {
        guard fraction >= 0, fraction < 1 else {
            throw DatasetError.invalidParameter("validation fraction \(fraction) must be in [0, 1)")
        }
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        let quota = counts.map { Int((Double($0) * fraction).rounded()) }
        var taken = [Int](repeating: 0, count: classCount)
        var heldOut = [Bool](repeating: false, count: labels.count)
        for i in CounterRandom(seed: seed).permutation(labels.count) {
            let label = Int(labels[i])
            if taken[label] < quota[label] {
                taken[label] += 1
                heldOut[i] = true
            }
        }
        return (labels.indices.filter { !heldOut[$0] }, labels.indices.filter { heldOut[$0] })
    }
}
