// Storage a DenseNet keeps across training steps, so that a step allocates nothing: allocating zeroed
// buffers afresh every step cost first-touch page faults, up to a fifth of a small model's step.

/// Storage of one [N, C, H, W] shape, created zero-filled.
protocol ShapedStorage: AnyObject {
    var shape: [Int] { get }
    init(zeros shape: [Int])
}

extension Tensor: ShapedStorage {}

/// `current` if it has `shape`, otherwise new storage of `shape` (the first step, or a batch of
/// another size). Whatever `current` held is left for the caller to clear or overwrite.
func reusing<Storage: ShapedStorage>(_ current: Storage?, shape: [Int]) -> Storage {
    if let current, current.shape == shape { return current }
    return Storage(zeros: shape)
}

/// Memory for the temporaries of a backbone's backward, shared by all its units (they run one after
/// another): each slot grows to the largest batch asked of it and is reused from then on.
final class BackwardScratch {
    /// What a slot holds; the slots of one unit's backward are alive at the same time.
    enum Slot: Int, CaseIterable {
        /// Gradient of a unit's inner activation: a dense layer's bottleneck, a transition's
        /// convolution output.
        case inner
        /// Gradient of a folded BN-ReLU's output.
        case normOutput
        /// Gradient of a folded BN-ReLU's input.
        case normInput
    }

    private var storage = [Tensor?](repeating: nil, count: Slot.allCases.count)

    /// `slot` as a contiguous [N, C, H, W] batch of `shape`, zero-filled when `zeroed` (for gradients
    /// added into), else holding whatever its last user left (for outputs written whole). Valid
    /// until `slot` is asked for again.
    func images(_ slot: Slot, shape: [Int], zeroed: Bool) -> ImageView {
        precondition(shape.count == 4, "scratch images need an NCHW shape, got \(shape)")
        let count = shape.reduce(1, *)
        if (storage[slot.rawValue]?.count ?? -1) < count { storage[slot.rawValue] = Tensor(zeros: [count]) }
        let data = storage[slot.rawValue]!.data
        if zeroed { data.update(repeating: 0, count: count) }
        return ImageView(data: data, batch: shape[0], channels: shape[1], height: shape[2], width: shape[3],
                         imageStride: count / max(shape[0], 1))
    }
}
