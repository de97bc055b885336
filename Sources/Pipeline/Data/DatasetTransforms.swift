// Preprocessing transforms on a data set: class subsets with relabelling, a per-class limit, a seeded
// stratified train/validation split, grayscale to three channels. All pure and deterministic.
import Engine

extension ImageDataset {
    /// The images of the listed classes only, relabelled by position in `classes`: `[5, 6, 7, 8, 9]`
    /// maps label 5 to 0, …, 9 to 4 and keeps the names of classes 5…9. Image order is kept.
    public func selectingClasses(_ classes: [Int]) throws -> ImageDataset {
        let (kept, newLabels) = try LabelSelection.selecting(classes: classes, of: labels, classCount: classNames.count)
        return ImageDataset(trusted: self, pixels: selecting(kept).pixels, labels: newLabels,
                            classNames: classes.map { classNames[$0] })
    }

    /// At most `perClass` images of each class: the first ones in an order shuffled by `seed`
    /// (so the subset is a random sample, the same for the same seed). Kept images stay in data set order.
    public func limitingPerClass(_ perClass: Int, seed: UInt64) throws -> ImageDataset {
        selecting(try LabelSelection.limiting(labels, classCount: classNames.count, perClass: perClass, seed: seed))
    }

    /// A seeded split with each class divided in the same proportion: `validationFraction` of every
    /// class (rounded) goes to validation. Both parts keep data set order.
    public func split(validationFraction: Double, seed: UInt64) throws -> (train: ImageDataset,
                                                                           validation: ImageDataset) {
        let (train, validation) = try LabelSelection.splitting(labels, classCount: classNames.count,
                                                               fraction: validationFraction, seed: seed)
        return (selecting(train), selecting(validation))
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
}
