// Optimizers: SGD with momentum and weight decay, Adam (Keras form) and AdamW, with their state as
// named tensors so a checkpoint can save and restore it.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A problem with optimizer state being restored from a checkpoint.
public enum OptimizerStateError: Error, CustomStringConvertible {
    case unknownTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case missing(String)

    public var description: String {
        switch self {
        case .unknownTensor(let name):
            return "optimizer state tensor '\(name)' names no parameter of this optimizer"
        case let .shapeMismatch(name, expected, found):
            return "optimizer state tensor '\(name)' has shape \(found), expected \(expected)"
        case .missing(let name):
            return "optimizer state lacks tensor '\(name)'"
        }
    }
}

/// Updates trainable parameters from their accumulated gradients; frozen ones are skipped.
///
/// State tensors (`state()`/`restore(_:)`), `P` being a parameter's name:
/// - `optimizer.step` [1]: updates done so far (exact to 2²⁴), `optimizer.learning_rate` [1];
/// - SGD: `optimizer.P.momentum`; Adam: `optimizer.P.m` and `optimizer.P.v`, the first and second
///   moment estimates. A parameter gets these at its first update, so frozen ones carry none.
public final class Optimizer {
    public enum Rule: Equatable, Sendable {
        /// PyTorch's SGD: g = grad + weightDecay·w; v = momentum·v + g; w −= lr·v.
        case sgd(momentum: Float, weightDecay: Float)
        /// Adam in Keras's form: ε is added to √v before bias correction (the paper's "ε̂"),
        /// w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε). PyTorch adds ε to √v̂ instead: with the default
        /// ε the two differ only while v is tiny. `weightDecay` > 0 makes it AdamW: decay decoupled
        /// from the gradient, w −= lr·weightDecay·w before the Adam step (Keras and PyTorch AdamW).
        case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)

        var slotNames: [String] {
            switch self {
            case .sgd: return ["momentum"]
            case .adam: return ["m", "v"]
            }
        }
    }

    public let rule: Rule
    /// Set between steps by learning-rate schedules.
    public var learningRate: Float
    public private(set) var stepCount: Int = 0
    public let parameters: [Parameter]
    /// Per parameter (by index), its slot tensors in `rule.slotNames` order, created at first update.
    private var slots: [[Tensor]?]

    public init(parameters: [Parameter], rule: Rule, learningRate: Float) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "optimizer parameters must have unique names")
        self.parameters = parameters
        self.rule = rule
        self.learningRate = learningRate
        slots = Array(repeating: nil, count: parameters.count)
    }

    /// SGD with momentum (0 for plain SGD) and L2 weight decay added to the gradient.
    public static func sgd(parameters: [Parameter], learningRate: Float, momentum: Float = 0.9,
                           weightDecay: Float = 0) -> Optimizer {
        Optimizer(parameters: parameters, rule: .sgd(momentum: momentum, weightDecay: weightDecay),
                  learningRate: learningRate)
    }

    /// Adam with Keras's defaults; a positive `weightDecay` makes it AdamW.
    public static func adam(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9,
                            beta2: Float = 0.999, epsilon: Float = 1e-7, weightDecay: Float = 0) -> Optimizer {
        Optimizer(parameters: parameters,
                  rule: .adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay),
                  learningRate: learningRate)
    }

    /// Applies one update to every trainable parameter. Does not clear the gradients.
    public func step() {
        stepCount += 1
        var jobs: [(index: Int, range: Range<Int>)] = []
        for (i, p) in parameters.enumerated() where p.trainable {
            if slots[i] == nil { slots[i] = rule.slotNames.map { _ in Tensor(zeros: p.value.shape) } }
            for start in stride(from: 0, to: p.value.count, by: Optimizer.chunk) {
                jobs.append((i, start..<min(start + Optimizer.chunk, p.value.count)))
            }
        }
        let lr = learningRate, t = Double(stepCount)
        parallelFor(chunks: jobs.count) { j in
            let (i, range) = jobs[j]
            let w = parameters[i].value.data, g = parameters[i].grad.data, s = slots[i]!
            switch rule {
            case let .sgd(momentum, weightDecay):
                let v = s[0].data
                for e in range {
                    v[e] = momentum * v[e] + g[e] + weightDecay * w[e]
                    w[e] -= lr * v[e]
                }
            case let .adam(beta1, beta2, epsilon, weightDecay):
                let m = s[0].data, v = s[1].data
                let alpha = Float(Double(lr) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
                for e in range {
                    w[e] -= lr * weightDecay * w[e]
                    m[e] = beta1 * m[e] + (1 - beta1) * g[e]
                    v[e] = beta2 * v[e] + (1 - beta2) * g[e] * g[e]
                    w[e] -= alpha * m[e] / (v[e].squareRoot() + epsilon)
                }
            }
        }
    }

    /// Sets every parameter's gradient to zero (layers add into them during backward).
    public func zeroGradients() {
        for p in parameters { p.grad.fill(0) }
    }

    /// The optimizer's state as named tensors (copies), for checkpoints.
    public func state() -> [String: Tensor] {
        var out = ["optimizer.step": Tensor(shape: [1], values: [Float(stepCount)]),
                   "optimizer.learning_rate": Tensor(shape: [1], values: [learningRate])]
        for (i, p) in parameters.enumerated() {
            guard let s = slots[i] else { continue }
            for (slot, name) in zip(s, rule.slotNames) { out["optimizer.\(p.name).\(name)"] = slot.clone() }
        }
        return out
    }

    /// Restores state saved by `state()`: afterwards, steps continue exactly as the saving run's.
    /// Throws if a tensor names no parameter of this optimizer or has the wrong shape.
    public func restore(_ state: [String: Tensor]) throws {
        for key in ["optimizer.step", "optimizer.learning_rate"] where state[key]?.count != 1 {
            throw OptimizerStateError.missing(key)
        }
        let index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1.name, $0) })
        var restored: [[Tensor]?] = Array(repeating: nil, count: parameters.count)
        var filled: [Int: [String: Tensor]] = [:]
        for (key, tensor) in state where key != "optimizer.step" && key != "optimizer.learning_rate" {
            guard key.hasPrefix("optimizer."), let dot = key.lastIndex(of: "."),
                  let i = index[String(key[key.index(key.startIndex, offsetBy: 10)..<dot])],
                  rule.slotNames.contains(String(key[key.index(after: dot)...])) else {
                throw OptimizerStateError.unknownTensor(key)
            }
            let shape = parameters[i].value.shape
            guard tensor.shape == shape else {
                throw OptimizerStateError.shapeMismatch(name: key, expected: shape, found: tensor.shape)
            }
            filled[i, default: [:]][String(key[key.index(after: dot)...])] = tensor.clone()
        }
        for (i, named) in filled {
            let tensors = try rule.slotNames.map { slot -> Tensor in
                guard let t = named[slot] else {
                    throw OptimizerStateError.missing("optimizer.\(parameters[i].name).\(slot)")
                }
                return t
            }
            restored[i] = tensors
        }
        slots = restored
        stepCount = Int(state["optimizer.step"]!.data[0])
        learningRate = state["optimizer.learning_rate"]!.data[0]
    }

    /// Elements per parallel job: jobs are fixed by parameter sizes, never by the thread count.
    private static let chunk = 1 << 15
}
