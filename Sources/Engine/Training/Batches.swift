// Which examples make up each mini-batch of an epoch, and the augmented copy of them the model sees.
// Every random draw is keyed by (seed, epoch, example), so a resumed run sees the same batches.

/// What an epoch does with the examples left over when the batch size does not divide the set.
public enum LastBatch: String, CaseIterable, Codable, Sendable {
    /// Train on them as a smaller last batch (Keras's and PyTorch's default).
    case keep
    /// Leave them out of this epoch (PyTorch's `drop_last`); a shuffled epoch leaves out different ones.
    case drop
    /// Fold them into the batch before, which grows to `batchSize + remainder`.
    case merge
}

extension LastBatch {
    /// The sizes of an epoch's batches of `count` examples cut into `batchSize` pieces: full batches,
    /// then the remainder as a batch of its own (`keep`), left out (`drop`), or added to the batch before
    /// (`merge`); with fewer examples than `batchSize`, `merge` keeps them as one batch and `drop` gives
    /// no batch at all. The one rule `epochBatches`, the trainer's progress and the recipe check share.
    public func batchSizes(count: Int, batchSize: Int) -> [Int] {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        var sizes = [Int](repeating: batchSize, count: count / batchSize)
        let remainder = count % batchSize
        guard remainder > 0 else { return sizes }
        switch self {
        case .keep: sizes.append(remainder)
        case .drop: break
        case .merge where sizes.isEmpty: sizes.append(remainder)
        case .merge: sizes[sizes.count - 1] += remainder
        }
        return sizes
    }
}

/// Batches of example indices for one epoch: a seeded permutation of `0..<count` (per-epoch stream of
/// `shuffle`), or the natural order when `shuffle` is nil, cut into the sizes `lastBatch.batchSizes`
/// gives (a dropped remainder is the permutation's tail).
public func epochBatches(count: Int, batchSize: Int, epoch: Int, shuffle: CounterRandom?,
                         lastBatch: LastBatch = .keep) -> [[Int]] {
    let order = shuffle.map { $0.stream(UInt64(epoch)).permutation(count) } ?? Array(0..<count)
    var start = 0
    return lastBatch.batchSizes(count: count, batchSize: batchSize).map { size in
        defer { start += size }
        return Array(order[start..<start + size])
    }
}

/// Random transformations of training images.
public struct Augmentation: Equatable, Sendable {
    /// Zero-pad by this many pixels per side, then crop back to the original size at a random offset
    /// (the CIFAR recipe uses 4); 0 disables it.
    public var cropPadding: Int
    /// Mirror left-right with probability 1/2 (after the crop).
    public var horizontalFlip: Bool

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        precondition(cropPadding >= 0, "crop padding must not be negative, got \(cropPadding)")
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    public static let none = Augmentation()

    /// The CIFAR recipe: pad 4 and crop, random horizontal flip.
    public static let cifar = Augmentation(cropPadding: 4, horizontalFlip: true)

    /// The draws for one example: crop offset (dy, dx) in `0...2·cropPadding` and whether to flip.
    func draws(_ random: CounterRandom) -> (dy: Int, dx: Int, flip: Bool) {
        let span = UInt64(2 * cropPadding + 1)
        return (Int(random.bits(at: 0) % span), Int(random.bits(at: 1) % span),
                horizontalFlip && random.uniform(at: 2) < 0.5)
    }
}

/// Copies examples `indices` of `images` ([N, C, H, W]) into the first `indices.count` images of
/// `batch` ([B, C, H, W]), augmented. Example `i`'s draws come from `random.stream(i)`: pass the
/// epoch's stream so each epoch sees new crops. With `.none` it is a plain gather.
public func gatherBatch(_ images: Tensor, indices: [Int], into batch: Tensor, augmentation: Augmentation = .none,
                        random: CounterRandom) {
    precondition(images.shape.count == 4 && batch.shape.count == 4 && images.shape[1...] == batch.shape[1...],
                 "gatherBatch: images \(images.shape) and batch \(batch.shape) must be [N, C, H, W] of one image shape")
    precondition(indices.count <= batch.shape[0], "gatherBatch: \(indices.count) examples for a batch of \(batch.shape[0])")
    parallelFor(chunks: indices.count) { b in
        let example = indices[b]
        precondition(example >= 0 && example < images.shape[0], "gatherBatch: example \(example) of \(images.shape[0])")
        copyAugmented(from: images, image: example, to: batch, image: b, augmentation: augmentation,
                      random: random.stream(UInt64(example)))
    }
}

/// Copies image `s` of `source` into image `t` of `target` (both [N, C, H, W] of one image shape),
/// cropped and flipped by the draws of `random`, the example's own stream.
func copyAugmented(from source: Tensor, image s: Int, to target: Tensor, image t: Int, augmentation: Augmentation,
                   random: CounterRandom) {
    let (channels, height, width) = (source.shape[1], source.shape[2], source.shape[3])
    let from = source.images(), to = target.images()
    let p = augmentation.cropPadding
    let (dy, dx, flip) = augmentation.draws(random)
    for c in 0..<channels {
        let input = from.channel(s, c), output = to.channel(t, c)
        if dy == p && dx == p && !flip {
            output.update(from: input, count: height * width)
            continue
        }
        for y in 0..<height {
            let sy = y + dy - p
            for x in 0..<width {
                let sx = (flip ? width - 1 - x : x) + dx - p
                let inside = sy >= 0 && sy < height && sx >= 0 && sx < width
                output[y * width + x] = inside ? input[sy * width + sx] : 0
            }
        }
    }
}
