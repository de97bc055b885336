// Preprocessing transforms on a data set: class subsets with relabelling, a per-class limit, a seeded
// stratified train/validation split, grayscale to three channels. All pure and deterministic.
import Engine

extension ImageDataset {
    /// The images of the listed classes only, relabelled by position in `classes`: `[5, 6, 7, 8, 9]`
    /// maps label 5 to 0, …, 9 to 4 and keeps the names of classes 5…9. Image order is kept.
    public func selectingClasses(_ classes: [Int]) throws -> ImageDataset {
        guard !classes.isEmpty, Set(classes).count == classes.count else {
            throw DatasetError.invalidParameter("class subset \(classes) must be non-empty without repeats")
        }
        if let bad = classes.first(where: { !classNames.indices.contains($0) }) {
            throw DatasetError.invalidParameter("class \(bad) does not exist; valid classes are"
                                                + " 0...\(classNames.count - 1)")
        }
        var newLabel = [Int32](repeating: -1, count: classNames.count)
        for (position, cls) in classes.enumerated() { newLabel[cls] = Int32(position) }
        let kept = labels.indices.filter { newLabel[Int(labels[$0])] >= 0 }
        return ImageDataset(trusted: self, pixels: selecting(kept).pixels,
                            labels: kept.map { newLabel[Int(labels[$0])] },
                            classNames: classes.map { classNames[$0] })
    }

    /// At most `perClass` images of each class: the first ones in an order shuffled by `seed`
    /// (so the subset is a random sample, the same for the same seed). Kept images stay in data set order.
    public func limitingPerClass(_ perClass: Int, seed: UInt64) throws -> ImageDataset {
        guard perClass > 0 else {
            throw DatasetError.invalidParameter("per-class limit \(perClass) must be at least 1")
        }
        var taken = [Int](repeating: 0, count: classNames.count)
        var kept: [Int] = []
        for i in CounterRandom(seed: seed).permutation(count) {
            let label = Int(labels[i])
            if taken[label] < perClass {
                taken[label] += 1
                kept.append(i)
            }
        }
        return selecting(kept.sorted())
    }

    /// A seeded split with each class divided in the same proportion: `validationFraction` of every
    /// class (rounded) goes to validation. Both parts keep data set order.
    public func split(validationFraction: Double, seed: UInt64) throws -> (train: ImageDataset,
                                                                           validation: ImageDataset) {
        guard validationFraction >= 0, validationFraction < 1 else {
            throw DatasetError.invalidParameter("validation fraction \(validationFraction) must be in [0, 1)")
        }
        let counts = classCounts
        let quota = counts.map { Int((Double($0) * validationFraction).rounded()) }
        var taken = [Int](repeating: 0, count: classNames.count)
        var isValidation = [Bool](repeating: false, count: count)
        for i in CounterRandom(seed: seed).permutation(count) {
            let label = Int(labels[i])
            if taken[label] < quota[label] {
                taken[label] += 1
                isValidation[i] = true
            }
        }
        return (selecting(indices.filter { !isValidation[$0] }), selecting(indices.filter { isValidation[$0] }))
    }

    /// Grayscale images with their one channel copied into three, for backbones that expect RGB.
    public func expandingGrayscaleToRGB() throws -> ImageDataset {
        guard channels == 1 else {
            throw DatasetError.invalidParameter("grayscale to RGB needs 1-channel images, these have \(channels)")
        }
        let plane = height * width
        func triple<T>(_ values: [T]) -> [T] {
            var out = [T]()
            out.reserveCapacity(values.count * 3)
            for image in 0..<count {
                let one = values[image * plane ..< (image + 1) * plane]
                for _ in 0..<3 { out.append(contentsOf: one) }
            }
            return out
        }
        let expanded: Pixels
        switch pixels {
        case .uint8(let p): expanded = .uint8(triple(p))
        case .float32(let p): expanded = .float32(triple(p))
        }
        return ImageDataset(trusted: self, channels: 3, pixels: expanded, labels: labels)
    }

    private var indices: Range<Int> { 0..<count }
}
