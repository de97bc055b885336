// Softmax and cross-entropy fused into one stable pass over logits, with optional label smoothing.

/// The mean loss of a batch and its gradient with respect to the logits.
struct CrossEntropyResult {
    /// Mean over the batch of −Σ target·log softmax(logits).
    let loss: Float
    /// ∂loss/∂logits = (softmax − target) / N, [N, classes] (N: `meanOver`, by default the batch).
    let dlogits: Tensor
    /// Each sample's loss, in Double.
    let losses: [Double]
}

/// Softmax cross-entropy of `logits` [N, classes] against integer `labels`.
///
/// With `labelSmoothing` s the target is (1 − s)·onehot + s / classes (Keras
/// `CategoricalCrossentropy(label_smoothing=s)` and PyTorch `CrossEntropyLoss(label_smoothing=s)`).
/// Stable: log-softmax subtracts the row maximum before exponentiating. Per-sample losses are
/// computed in Double and summed in sample order, so the loss does not depend on the thread count.
/// `meanOver` is the batch the gradient averages over when `logits` are one process's part of a sharded batch.
func softmaxCrossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Float = 0, meanOver: Int? = nil) -> CrossEntropyResult {
    precondition(logits.shape.count == 2, "softmaxCrossEntropy: logits must be [N, classes], got \(logits.shape)")
    let batch = logits.shape[0], classes = logits.shape[1]
    precondition(classes > 0, "softmaxCrossEntropy: logits \(logits.shape) have no classes")
    precondition(labels.count == batch, "softmaxCrossEntropy: \(labels.count) labels for a batch of \(batch)")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing \(labelSmoothing) is not in [0, 1]")
    for (i, label) in labels.enumerated() {
        precondition((0..<classes).contains(label), "softmaxCrossEntropy: label \(label) of sample \(i) is not in 0..<\(classes)")
    }
    let dlogits = Tensor(zeros: logits.shape)
    var losses = [Double](repeating: 0, count: batch)
    let offTarget = Double(labelSmoothing) / Double(classes)
    let onTarget = 1 - Double(labelSmoothing) + offTarget
    let divisor = Double(meanOver ?? batch)
    losses.withUnsafeMutableBufferPointer { losses in
        parallelFor(chunks: batch) { n in
            let z = logits.data + n * classes, d = dlogits.data + n * classes
            var top = z[0]
            for j in 1..<classes { top = max(top, z[j]) }
            var sum = 0.0
            for j in 0..<classes { sum += _exp(Double(z[j] - top)) }
            let logSum = _log(sum)
            var loss = 0.0
            for j in 0..<classes {
                let target = j == labels[n] ? onTarget : offTarget
                let logProbability = Double(z[j] - top) - logSum
                loss -= target * logProbability
                d[j] = Float((_exp(logProbability) - target) / divisor)
            }
            losses[n] = loss
        }
    }
    return CrossEntropyResult(loss: Float(losses.reduce(0, +) / Double(max(batch, 1))), dlogits: dlogits, losses: losses)
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
@inline(__always) private func _exp(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
#endif
